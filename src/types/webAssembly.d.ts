// The part of WebAssembly's JavaScript API that src/model/cells/simdKernel.ts and rowMatrix.ts use. Node has it
// all, but @types/node 20 does not declare it; the web page's type check uses the DOM library's declarations
// instead (src/web/page/tsconfig.json does not include this file).
declare namespace WebAssembly {
  class Module {
    constructor(bytes: ArrayBufferView | ArrayBuffer);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number });
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
  function validate(bytes: ArrayBufferView | ArrayBuffer): boolean;
}
