/**
 * Environment for node child processes that tests spawn. Coverage is switched off in children
 * (NODE_V8_COVERAGE set to empty: Node copies the parent's value into any child env that lacks the
 * key). c8 merges a child's coverage with the test process's by file, and a child that loaded a
 * module without running it dragged that module's merged figure down (seen: 100 % → 61 % for a
 * fully tested file), so children would make the coverage gate lie. What children run is covered
 * in-process too.
 */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra, NODE_V8_COVERAGE: '' };
}
