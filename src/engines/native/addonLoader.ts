import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { findProjectRoot } from '../../corpus/projectRoot';

/** Where the build puts the addon; `GN_NATIVE_ADDON` points elsewhere (tests use it to simulate a missing build). */
function addonPath(): string {
  return (
    process.env.GN_NATIVE_ADDON ?? path.join(findProjectRoot(), 'native', 'build', 'Release', 'gennet_native.node')
  );
}

/**
 * Loads the C++ addon's file (Node only; bundles for the browser take `addonLoader.browser.ts` instead, as the
 * `browser` field of package.json says). Returns its exports, or why it cannot be loaded and how to build it.
 */
export function loadAddonFile(): { addon: unknown } | { reason: string } {
  const file = addonPath();
  if (!existsSync(file)) {
    return {
      reason:
        `the C++ addon is not built (${file} is missing). On Debian/Ubuntu run \`npm run setup\`; elsewhere install ` +
        'a C++ compiler and OpenBLAS (macOS: Xcode command line tools) and run `npm run build:native`',
    };
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native addon (by path) loads with require()
    return { addon: require(file) };
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { reason: `the C++ addon ${file} does not load (${why}); rebuild it with \`npm run build:native\`` };
  }
}
