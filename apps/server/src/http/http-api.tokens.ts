/** Injection tokens of the HTTP API that are not classes. */
export const HTTP_API_CLOCK = Symbol('HTTP_API_CLOCK');
