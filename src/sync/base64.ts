/** Standard base64 for the seals of ./seal.ts: Uint8Array's own where the engine has it (Chromium 140+, Firefox 133+, Safari 18.2+), else btoa/atob. */

type Base64Array = { toBase64?: () => string };
type Base64Ctor = { fromBase64?: (s: string) => Uint8Array<ArrayBuffer> };

export function toBase64(bytes: Uint8Array): string {
  const native = (bytes as Base64Array).toBase64;
  if (native) return native.call(bytes);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Throws (a TypeError, a SyntaxError or a DOMException) on anything that is not base64. */
export function fromBase64(text: unknown): Uint8Array<ArrayBuffer> {
  if (typeof text !== 'string') throw new TypeError('not base64');
  const native = (Uint8Array as Base64Ctor).fromBase64;
  if (native) return native(text);
  const s = atob(text);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}
