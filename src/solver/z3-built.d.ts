// z3-solver ships no types for its Emscripten module; wasm.ts states the parts it calls.
declare module 'z3-solver/build/z3-built.js' {
  const initZ3: (overrides: object) => Promise<unknown>;
  export default initZ3;
}
