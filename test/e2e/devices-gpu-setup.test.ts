// The Devices page's GPU support panel against real serve mode and a local mirror of nuget.org (#29):
// not installed → prerequisites with install lines and the offline instructions → the explicit choice an
// unrecorded digest needs → Install → progress → installed, verified through a CPU session on the copy,
// with the measured digest shown.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, openApp, untilShown, type AppUnderTest } from '../helpers/browser.ts';
import { startReleaseServer, type ReleaseServer } from '../unit/devices/release-server.ts';

type AdmZipT = { addFile(name: string, data: Buffer): void; toBuffer(): Buffer };
const AdmZip = createRequire(import.meta.url)('adm-zip') as new () => AdmZipT;
const NAME = 'microsoft.ml.onnxruntime.gpu.linux.1.30.0.nupkg';
const linuxX64 = process.platform === 'linux' && process.arch === 'x64';

describe('Devices page: GPU support (serve mode, Chromium)', { skip: !linuxX64 && 'the CUDA download exists for linux-x64 only' }, () => {
  let browser: Browser;
  let app: AppUnderTest;
  let mirror: ReleaseServer;
  let userData: string;
  let digest: string;
  const saved = { userData: process.env.SAENGGAK_USER_DATA, mirror: process.env.SAENGGAK_GPU_MIRROR };

  before(async () => {
    const zip = new AdmZip();
    // Big enough for several progress polls on a fast loopback link.
    for (const f of ['cuda', 'shared', 'tensorrt']) zip.addFile(`runtimes/linux-x64/native/libonnxruntime_providers_${f}.so`, randomBytes(4_000_000));
    const archive = zip.toBuffer();
    digest = createHash('sha256').update(archive).digest('hex');
    mirror = await startReleaseServer({ [`/microsoft.ml.onnxruntime.gpu.linux/1.30.0/${NAME}`]: archive });
    userData = await mkdtemp(join(tmpdir(), 'saenggak-e2e-gpu-'));
    // Serve mode runs in this process: the back end reads both when the page asks.
    process.env.SAENGGAK_USER_DATA = userData;
    process.env.SAENGGAK_GPU_MIRROR = mirror.url;
    browser = await launchChromium();
    app = await openApp(browser, { locale: 'en' });
  });

  after(async () => {
    await app?.close();
    await browser?.close();
    await mirror?.close();
    if (userData) await rm(userData, { recursive: true, force: true });
    for (const [key, value] of [['SAENGGAK_USER_DATA', saved.userData], ['SAENGGAK_GPU_MIRROR', saved.mirror]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('shows what is missing and how to install it, and the files to place by hand', async () => {
    const { page } = app;
    await page.getByTestId('nav-devices').click();
    const panel = page.getByTestId('gpu-setup');
    await untilShown(panel.getByTestId('gpu-runtime-state'));
    assert.match(await panel.getByTestId('gpu-runtime-state').innerText(), /Not installed: GPU support is not installed/);
    const status = await app.call('gpuSetup.status', {});
    const rows = panel.getByTestId('gpu-prerequisite');
    assert.equal(await rows.count(), status.prerequisites.checks.length);
    for (const [i, check] of status.prerequisites.checks.entries()) {
      const text = await rows.nth(i).innerText();
      assert.ok(text.includes(check.label) && text.includes(check.needed), text);
      assert.ok(text.includes(check.found ? check.where! : check.installLine), `${check.id}: ${text}`);
    }
    assert.equal(await panel.getByTestId('gpu-offline-url').innerText(), `${mirror.url}/microsoft.ml.onnxruntime.gpu.linux/1.30.0/${NAME}`);
    assert.equal(await panel.getByTestId('gpu-offline-folder').innerText(), join(userData, 'gpu-runtime', 'downloads'));
    assert.match(await panel.getByTestId('gpu-cuda-usable').innerText(), /CUDA is not usable yet/);
  });

  it('installs only after the explicit choice for an unrecorded digest, shows progress, and ends verified', async () => {
    const { page } = app;
    const panel = page.getByTestId('gpu-setup');
    const install = panel.getByTestId('gpu-install');
    assert.equal(await install.isDisabled(), true, 'no recorded digest: the button waits for the choice');
    assert.match(await panel.getByTestId('gpu-unrecorded').innerText(), new RegExp(`no recorded SHA-256 for ${NAME.replace(/\./g, '\\.')}`));
    assert.equal(mirror.requests.length, 0);
    await panel.getByTestId('gpu-allow-unrecorded').check();
    await install.click();
    const step = panel.getByTestId('gpu-install-step');
    await step.filter({ hasText: /Installed\.|failed/ }).waitFor({ timeout: 120_000 });
    assert.equal(await step.innerText(), 'Installed.');
    assert.equal(await panel.getByTestId('gpu-archive-digest').innerText(), `${NAME}: SHA-256 ${digest} (not recorded in this app)`);
    await panel.getByTestId('gpu-runtime-state').filter({ hasText: 'Installed in' }).waitFor();
    assert.match(await panel.getByTestId('gpu-runtime-state').innerText(), new RegExp(`onnxruntime-1\\.30\\.0-linux-x64-cuda12`));
    assert.match(await panel.getByTestId('gpu-last-check').innerText(), /ran a CPU session/);
    assert.match(await panel.getByTestId('gpu-cuda-usable').innerText(), /not usable yet/, 'no CUDA on this machine');
    // The offline instructions go away once installed; re-check runs the verification again.
    assert.equal(await panel.getByTestId('gpu-offline').count(), 0);
    await panel.getByTestId('gpu-recheck').click();
    await panel.getByTestId('gpu-recheck').filter({ hasText: 'Re-check' }).waitFor();
    assert.equal(mirror.requests.length, 1);
  });

  it('ran without page errors, console errors or CSP violations', () => {
    assert.deepEqual(app.problems, []);
  });
});
