import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

/**
 * The lint rule that keeps the architecture honest (@nx/enforce-module-boundaries) silently skips
 * itself when Nx has no project graph. This proves it really fires, on code that breaks the rules.
 */
describe('module boundaries', () => {
  let eslint: ESLint;

  beforeAll(() => {
    // Builds and caches the project graph the rule reads (offline, no daemon).
    execFileSync(resolve(ROOT, 'node_modules/.bin/nx'), ['show', 'projects'], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, NX_DAEMON: 'false' } });
    eslint = new ESLint({ cwd: ROOT });
  }, 60_000);

  async function boundaryErrors(file: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: resolve(ROOT, file) });
    return (result?.messages ?? []).filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
  }

  it('an app may not import another app', async () => {
    const errors = await boundaryErrors('apps/email-service/src/probe.ts', "import { manifest } from '@eventshop/user-service';\nexport const x = manifest;\n");
    expect(errors).toEqual([expect.stringContaining('"type:app" can only depend on libs tagged with "type:lib"')]);
  });

  it('the contracts depend on nothing of ours', async () => {
    const errors = await boundaryErrors('libs/contracts/src/probe.ts', "import { EventBus } from '@eventshop/messaging';\nexport const x = EventBus;\n");
    // Every library builds on the contracts, so the rule meets the cycle before the tag constraint.
    expect(errors).toEqual([expect.stringContaining('Circular dependency between "@eventshop/contracts" and "@eventshop/messaging"')]);
  });

  it('the domain library depends on nothing of ours, and on no framework, database or broker', async () => {
    // The contracts, not the bus: messaging builds on the domain library, so importing it would meet the cycle rule first.
    const ours = await boundaryErrors('libs/domain/src/probe.ts', "import { UserSignedUpV1 } from '@eventshop/contracts';\nexport const x = UserSignedUpV1;\n");
    expect(ours).toEqual([expect.stringContaining('"scope:domain" cannot depend on any libs')]);
    const framework = await boundaryErrors('libs/domain/src/probe.ts', "import { DataSource } from 'typeorm';\nexport const x = DataSource;\n");
    expect(framework).toEqual([expect.stringContaining('typeorm')]);
  });

  it("an app's domain code imports no framework, database or bus", async () => {
    const [result] = await eslint.lintText("import { Injectable } from '@nestjs/common';\nexport const x = Injectable;\n", {
      filePath: resolve(ROOT, 'apps/order-service/src/orders/domain/probe.ts'),
    });
    expect(result?.messages.map((m) => m.ruleId)).toEqual(['no-restricted-imports']);
  });

  it('an app may use the domain library', async () => {
    expect(await boundaryErrors('apps/order-service/src/orders/domain/probe.ts', "import { fold } from '@eventshop/domain';\nexport const x = fold;\n")).toEqual([]);
  });

  it('a library may not import an app', async () => {
    const errors = await boundaryErrors('libs/platform/src/probe.ts', "import { manifest } from '@eventshop/order-service';\nexport const x = manifest;\n");
    expect(errors).toHaveLength(1);
  });

  it('an app may use the libraries', async () => {
    expect(await boundaryErrors('apps/email-service/src/probe.ts', "import { EventBus } from '@eventshop/messaging';\nexport const x = EventBus;\n")).toEqual([]);
  });
});
