import { createRouter } from '../../http/router';
import * as h from './uploads.handlers';
import * as r from './uploads.routes';

/** `/api/v1/uploads`: resumable uploads in parts (services/upload-sessions.ts). */
export function v1UploadRouter() {
  return createRouter()
    .openapi(r.createUpload, h.createUpload)
    .openapi(r.getUpload, h.getUpload)
    .openapi(r.abortUpload, h.abortUpload)
    .openapi(r.putPart, h.putPart)
    .openapi(r.completeUpload, h.completeUpload);
}
