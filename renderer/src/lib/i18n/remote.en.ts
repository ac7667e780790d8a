// English strings of the remote lab setting and a run's files (#21). Keys start with `remote.`; the Korean
// twin is remote.ko.ts.
export const remoteEn = {
  'remote.title': 'Remote lab',
  'remote.intro':
    'Work with a GPU box’s Saenggak Lab from here: its devices, queues, runs and files. On the box run “saenggak serve --allow-origin {origin}”; here open an SSH tunnel (ssh -N -L 8700:localhost:8700 gpu-box) and connect to http://localhost:8700 with the token it printed.',
  'remote.url': 'Lab URL (the local end of the tunnel)',
  'remote.token': 'Access token',
  'remote.tokenHint': 'Kept in this tab only (session storage), never in a cookie. Pasting the whole printed URL fills both.',
  'remote.connect': 'Connect',
  'remote.connecting': 'Connecting…',
  'remote.connected': 'Connected to the remote lab at {url}',
  'remote.disconnect': 'Disconnect',
  'remote.badge': 'Remote lab {url}',
  'remote.files': 'Files',
  'remote.files.up': 'Up',
  'remote.files.download': 'Download',
  'remote.files.empty': 'No files here.',
} as const;
