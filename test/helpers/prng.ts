// The one seeded PRNG lives with the domain generator (src/generate/prng.ts); tests and benchmarks
// draw from the same streams.
export { mix, mulberry32, Rng } from '../../src/generate/prng.js';
