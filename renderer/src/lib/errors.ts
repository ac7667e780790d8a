// Human text for an API error: known transport-level codes get a translated sentence, everything else
// shows the back end's own message (which names the field or file at fault).
import type { ApiError } from './api/types.ts';
import { i18n } from './stores/i18n.svelte.ts';

export function errorText(error: ApiError): string {
  switch (error.code) {
    case 'unauthorized':
      return i18n.t('errors.unauthorized');
    case 'network':
      return i18n.t('errors.network');
    case 'no_workspace':
      // "Open a workspace first" is ours to translate; opening a folder that cannot be a workspace (missing,
      // a file, a foreign manifest) comes back with the same code and a message naming the folder: keep it.
      return /^No workspace is open/.test(error.message ?? '') || !error.message ? i18n.t('errors.noWorkspace') : error.message;
    default:
      return error.message || error.code;
  }
}
