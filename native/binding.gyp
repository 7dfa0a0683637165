{
  "variables": {
    "gn_blas%": "<!(node -p \"process.env.GN_BLAS || (process.platform === 'darwin' ? 'accelerate' : 'openblas')\")"
  },
  "targets": [
    {
      "target_name": "gennet_native",
      "sources": [
        "src/addon.cc", "src/network.cc", "src/layers.cc", "src/trainer.cc", "src/stepper.cc", "src/linear.cc", "src/elementwise.cc",
        "src/blas.cc", "src/gpt.cc", "src/gptAddon.cc", "src/attention.cc", "src/parts.cc", "src/encoder.cc",
        "src/seq2seq.cc", "src/seq2seqAddon.cc", "src/conditional.cc", "src/conditionalAddon.cc", "src/cells/registry.cc", "src/cells/lstm.cc", "src/cells/gru.cc", "src/cells/rnn.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "/usr/include/openblas"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL"],
      "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "CLANG_CXX_LANGUAGE_STANDARD": "c++17" },
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-math-errno", "-fno-trapping-math"],
      "conditions": [
        ["gn_blas == 'openblas'", { "defines": ["GN_OPENBLAS"], "libraries": ["-lopenblas"] }],
        ["gn_blas == 'accelerate'", {
          "defines": ["GN_ACCELERATE"],
          "libraries": ["-framework Accelerate"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3"] }
        }],
        ["gn_blas not in ['openblas', 'accelerate']", { "libraries": ["-l<(gn_blas)"] }]
      ]
    }
  ]
}
