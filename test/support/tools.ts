/**
 * The one rule for tests that need something from the machine (a command, a user, moto):
 * when it is missing the test says why it is skipped, on its own line, and under
 * TVM_REQUIRE_TOOLS=1 (what CI sets) it fails instead, so a CI image that lost a tool cannot
 * turn a suite green by skipping it. TVM_REQUIRE_MOTO=1, the older switch, still covers moto.
 *
 *   requireTool(this, 'shellcheck', commandMissing('shellcheck'));
 */
import { spawnSync } from 'node:child_process';

/** True when a missing `tool` must fail the run rather than skip. */
export function toolRequired(tool: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return env.TVM_REQUIRE_TOOLS === '1' || (tool === 'moto' && env.TVM_REQUIRE_MOTO === '1');
}

/** The message for a tool that is missing where it is required. */
export function requiredToolMessage(tool: string, why: string): string {
  return `${tool} is required here (TVM_REQUIRE_TOOLS=1) but ${why}: install it, or unset TVM_REQUIRE_TOOLS to skip`;
}

/**
 * Continues when `missing` is null; otherwise fails (tool required) or prints why and skips.
 * Call it first in an `it` or a `before` hook, with that hook's mocha context.
 */
export function requireTool(ctx: Mocha.Context, tool: string, missing: string | null): void {
  if (missing !== null) missingTool(ctx, tool, missing);
}

/** `tool` is missing for the reason `why`: fails when it is required, else prints why and skips. */
export function missingTool(ctx: Mocha.Context, tool: string, why: string): never {
  if (toolRequired(tool)) throw new Error(requiredToolMessage(tool, why));
  console.log(`      (skipped: ${tool}: ${why}; TVM_REQUIRE_TOOLS=1 makes this a failure)`);
  return ctx.skip();
}

/** Why `cmd` cannot be run, or null when it is on PATH. */
export function commandMissing(cmd: string): string | null {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd]).status === 0 ? null : `${cmd} is not on PATH`;
}

/** Why the local user `name` cannot be used, or null when `id` knows it. */
export function userMissing(name: string): string | null {
  return spawnSync('id', ['-u', name]).status === 0 ? null : `there is no user ${name} on this machine`;
}
