// The Electron shell, kept thin: one hardened window showing the built renderer, a menu, and the API
// router on one IPC channel. Everything else is plain Node code shared with serve mode and the CLI.
//
// Hardening: contextIsolation, sandbox, no nodeIntegration; the UI is served from a private `app://`
// scheme with a strict CSP; navigation, new windows, webviews and permission requests are refused;
// IPC answers only our own frames. Long work runs in utilityProcess children (main/jobs/).
// First import: onnxruntime's binding comes from the installed GPU runtime when there is one (#29).
import './devices/gpu-runtime/redirect.ts';
import { app, BrowserWindow, ipcMain, Menu, net, protocol, session as electronSession, shell, utilityProcess } from 'electron';
import { join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { IPC_CHANNEL } from './api/contract.ts';
import { OPEN_PATH_CHANNEL } from './api/bridge.ts';
import { openPathHandler } from './api/open-path.ts';
import { AppSession } from './api/session.ts';
import { handlers } from './api/handlers/index.ts';
import { createIpcHandler } from './api/transports.ts';
import { contentSecurityPolicy } from './server.ts';
import { isRemoteLabUrl } from './server/cors.ts';
import { isAllowedExternalUrl } from './external-links.ts';
import type { LaunchJobProcess } from './jobs/process-launcher.ts';
import { setBundledProbeLauncher, type ProbeChild } from './devices/providers.ts';
import type { WorkerMessage } from './jobs/job-kind.ts';

const SCHEME = 'app';
const APP_ORIGIN = `${SCHEME}://saenggak`;
/** dist-electron/ (this bundle) sits next to dist/renderer/. */
const bundleDir = import.meta.dirname;
const rendererDir = resolve(bundleDir, '..', 'dist', 'renderer');

/** Job processes as Electron utility processes (no separate Node binary in a packaged app). */
const launchUtilityProcess: LaunchJobProcess = (entry, { env }) => {
  const child = utilityProcess.fork(entry, [], { stdio: 'pipe', env, serviceName: 'Saenggak Lab job' });
  return {
    get pid() {
      return child.pid;
    },
    stdout: child.stdout,
    stderr: child.stderr,
    send: (message) => child.postMessage(message),
    onMessage: (listener) => child.on('message', (message: WorkerMessage) => listener(message)),
    onExit: (listener) => child.once('exit', (code) => listener(code, null)),
    kill: (signal) => {
      if (signal === 'SIGTERM' || child.pid === undefined) child.kill();
      else process.kill(child.pid, 'SIGKILL');
    },
  };
};

/**
 * The device probe as a utility process: with the RunAsNode fuse off the app binary cannot run it as plain
 * Node. Adapts Electron's UtilityProcess to what providers.ts reads (output streams, close, error, kill).
 */
setBundledProbeLauncher((script, args, env) => {
  const child = utilityProcess.fork(script, args, { stdio: 'pipe', env, serviceName: 'Saenggak Lab device probe' });
  const probe = {
    stdout: child.stdout,
    stderr: child.stderr,
    on(event: string, listener: (...args: unknown[]) => void) {
      // A utility process reports its end as 'exit' (code only); a failed start as 'error'.
      if (event === 'close') child.once('exit', (code) => listener(code, null));
      else if (event === 'error') child.once('error', (...args: unknown[]) => listener(new Error(String(args[0] ?? 'utility process error'))));
      return probe;
    },
    kill: () => child.kill(),
  };
  return probe as ProbeChild;
});

const apiSession = new AppSession({
  jobs: { launch: launchUtilityProcess, workerEntry: join(bundleDir, 'job-worker.js') },
});

protocol.registerSchemesAsPrivileged([
  { scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

/** Serves dist/renderer on app://saenggak/ with the CSP; SPA fallback to index.html. */
function serveRenderer(): void {
  protocol.handle(SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'saenggak') return new Response('not found', { status: 404 });
    const relative = decodeURIComponent(url.pathname);
    let file = resolve(rendererDir, '.' + (relative === '/' ? '/index.html' : relative));
    if (!file.startsWith(rendererDir + sep)) return new Response('not found', { status: 404 });
    if (!/\.[a-z0-9]+$/i.test(relative)) file = join(rendererDir, 'index.html');
    const response = await net.fetch(pathToFileURL(file).href);
    const headers = new Headers(response.headers);
    headers.set('Content-Security-Policy', contentSecurityPolicy(undefined));
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(response.body, { status: response.status, headers });
  });
}

function isOwnFrame(frameUrl: string | undefined): boolean {
  return typeof frameUrl === 'string' && frameUrl.startsWith(APP_ORIGIN + '/');
}

/** DevTools only in development: a packaged app has no way to open them (menu, shortcut or API). */
const devToolsAllowed = (): boolean => !app.isPackaged;

function buildMenu(): void {
  const template: Electron.MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        ...(devToolsAllowed() ? [{ role: 'toggleDevTools' as const }] : []),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 840,
    title: 'Saenggak Lab',
    show: false,
    webPreferences: {
      preload: join(bundleDir, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      devTools: devToolsAllowed(),
    },
  });
  window.once('ready-to-show', () => window.show());
  const unsubscribe = apiSession.events.subscribe((message) => {
    if (!window.isDestroyed()) window.webContents.send(`${IPC_CHANNEL}:event`, message);
  });
  window.on('closed', unsubscribe);
  void window.loadURL(`${APP_ORIGIN}/`);
  return window;
}

function harden(): void {
  const ses = electronSession.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  // No remote content: only our scheme, devtools and data/blob URLs the UI makes itself, and a remote lab
  // on this machine's loopback (the local end of an SSH tunnel to a GPU box, #21; main/server/cors.ts).
  ses.webRequest.onBeforeRequest((details, callback) => {
    const allowed = /^(app:\/\/saenggak\/|devtools:|data:|blob:app:\/\/saenggak\/)/.test(details.url) || isRemoteLabUrl(details.url);
    callback({ cancel: !allowed });
  });
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!url.startsWith(APP_ORIGIN + '/')) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!url.startsWith(APP_ORIGIN + '/')) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      // Links to the docs and the Hub open in the user's browser, never in an app window; others are dropped.
      if (isAllowedExternalUrl(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
}

const ipcCall = createIpcHandler(apiSession, handlers);

app.enableSandbox();
if (!app.requestSingleInstanceLock()) app.quit();

app.whenReady().then(async () => {
  harden();
  serveRenderer();
  // GPU support in user data is checked once per start in a child process, rolled back if it fails.
  void import('./devices/gpu-runtime/verify.ts').then((m) => m.verifyGpuRuntime()).catch((error) => console.error(error));
  buildMenu();
  ipcMain.handle(IPC_CHANNEL, (event, method: unknown, input: unknown) => {
    if (!isOwnFrame(event.senderFrame?.url)) {
      return { ok: false, error: { code: 'forbidden', message: 'IPC from a foreign frame' } };
    }
    return ipcCall(method, input);
  });
  // "Open file" links (#24): only a file or folder inside the open workspace (checked here, in the main
  // process, after resolving links) is handed to shell.openPath; anything else is refused.
  const openPath = openPathHandler({ openPath: (path) => shell.openPath(path), workspaceRoot: () => apiSession.current?.workspace.root, isOwnFrame });
  ipcMain.handle(OPEN_PATH_CHANNEL, (event, path: unknown) => openPath(event.senderFrame?.url, path));
  const startWorkspace = process.env.SAENGGAK_WORKSPACE;
  if (startWorkspace) await apiSession.openWorkspace(startWorkspace, true).catch((error) => console.error(error));
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('second-instance', () => {
  const [window] = BrowserWindow.getAllWindows();
  if (window) {
    if (window.isMinimized()) window.restore();
    window.focus();
  }
});

app.on('window-all-closed', () => app.quit());

let closing = false;
app.on('before-quit', (event) => {
  if (closing) return;
  closing = true;
  event.preventDefault();
  // Cancel running jobs (their records say "cancelled") before the process goes.
  apiSession.close().finally(() => app.exit(0));
});
