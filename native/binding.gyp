{
  "variables": {
    "gn_blas%": "<!(node -p \"process.env.GN_BLAS || (process.platform === 'darwin' ? 'accelerate' : 'openblas')\")"
  },
  "targets": [
    {
      "target_name": "gennet_native",
      "sources": ["src/addon.cc", "src/network.cc", "src/blas.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-math-errno", "-fno-trapping-math"],
      "conditions": [
        ["gn_blas == 'openblas'", { "defines": ["GN_OPENBLAS"], "libraries": ["-lopenblas"] }],
        ["gn_blas == 'accelerate'", {
          "defines": ["GN_ACCELERATE"],
          "libraries": ["-framework Accelerate"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17"] }
        }],
        ["gn_blas not in ['openblas', 'accelerate']", { "libraries": ["-l<(gn_blas)"] }]
      ]
    }
  ]
}
