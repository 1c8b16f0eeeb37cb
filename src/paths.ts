import { fileURLToPath } from "node:url";

/**
 * The project's folder. One level up from this file, which is also one level up from the bundle
 * the command line runs (dist/participant-graph.mjs): the same answer from either.
 */
export const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));
