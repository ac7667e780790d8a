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
      return i18n.t('errors.noWorkspace');
    default:
      return error.message || error.code;
  }
}
