// Entry file of a sweep worker thread when the simulator runs as TypeScript (a compiled pool starts
// worker.js directly). A worker starts with plain Node, so it registers the TypeScript loader (as
// bin/sddfsim.js does for the main thread) before loading the worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
