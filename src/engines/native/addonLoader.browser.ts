/**
 * The browser's stand-in for `addonLoader.ts` (swapped in by the `browser` field of package.json): a web page cannot
 * load a C++ addon, so the native engine reports itself unavailable and `auto` takes the fast engine.
 */
export function loadAddonFile(): { addon: unknown } | { reason: string } {
  return { reason: 'the native engine is a C++ addon for Node; a web page runs the fast engine instead' };
}
