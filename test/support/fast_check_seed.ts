import fc from 'fast-check';

// Property tests run from one fixed seed so that CI and every developer see the same cases; set
// FC_SEED to explore others (a failure prints its seed and path, and a test's own seed wins).
const seed = Number(process.env.FC_SEED ?? 20261125);
fc.configureGlobal({ seed: Number.isFinite(seed) ? seed : 20261125 });
