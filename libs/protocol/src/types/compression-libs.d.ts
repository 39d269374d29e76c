/** Type declarations for the pure-JS decompressors that ship none (see compression.codec.ts). */
declare module 'snappyjs' {
  interface SnappyJs {
    /** Decompresses one raw snappy block; throws if it announces more than `maxLength` bytes. */
    uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array;
    compress(uncompressed: Uint8Array): Uint8Array;
  }
  const snappyjs: SnappyJs;
  export default snappyjs;
}

declare module 'lz4js' {
  interface Lz4Js {
    /** Upper bound of an LZ4 frame's decompressed size, read from its descriptor and block headers. */
    decompressBound(src: Uint8Array): number;
    /** Decompresses an LZ4 frame into `dst`; returns the bytes written. */
    decompressFrame(src: Uint8Array, dst: Uint8Array): number;
    compress(src: Uint8Array, maxSize?: number): Uint8Array;
  }
  const lz4js: Lz4Js;
  export default lz4js;
}
