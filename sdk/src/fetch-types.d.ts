// The generated client names the Fetch API's BodyInit, a DOM type; under Node's types (no "dom"
// lib) it lives in undici-types. Browsers and DOM-lib projects already have it.
declare global {
  type BodyInit = import('undici-types').BodyInit;
}
export {};
