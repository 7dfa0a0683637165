/**
 * The page's Content-Security-Policy, the tightest it works under: its scripts, styles and model files come from
 * its own site only; TensorFlow.js compiles its wasm binaries ('wasm-unsafe-eval', not 'unsafe-eval'); nothing
 * can frame it, change its base URL or submit a form anywhere. src/web/page/index.html carries the same policy in a
 * `<meta>` for static hosts, without `frame-ancestors`, which a `<meta>` cannot set.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers the page server sends with every response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};
