import { signingSecret } from '../../auth/middleware';
import { createRouter } from '../../http/router';
import * as sessions from '../../services/upload-sessions';
import { imagePath, v1Image } from '../images/present';
import * as h from './uploads.handlers';
import { uploadPath, uploadSession } from './uploads.present';
import * as r from './uploads.routes';

/** `/api/v1/uploads`: resumable uploads in parts (services/upload-sessions.ts). */
export function v1UploadRouter() {
  return createRouter()
    .openapi(r.createUpload, async (c) => {
      const deps = c.get('deps');
      const body = c.req.valid('json');
      const view = await sessions.createUploadSession(deps, c.get('session'), signingSecret(deps), {
        fileName: body.file_name,
        contentType: body.content_type,
        size: body.size,
        ...(body.sha256 ? { sha256: body.sha256 } : {}),
        tags: body.tags,
      });
      c.header('Location', uploadPath(view.session.id));
      return c.json(uploadSession(view), 201);
    })
    .openapi(r.getUpload, async (c) => {
      const deps = c.get('deps');
      const view = await sessions.getUploadSession(
        deps,
        c.get('session'),
        signingSecret(deps),
        c.req.valid('param').id,
      );
      return c.json(uploadSession(view), 200);
    })
    .openapi(r.abortUpload, async (c) => {
      await sessions.abortUploadSession(c.get('deps'), c.get('session'), c.req.valid('param').id);
      return c.body(null, 204);
    })
    .openapi(r.putPart, h.putPart)
    .openapi(r.completeUpload, async (c) => {
      const { image, created } = await sessions.completeUploadSession(
        c.get('deps'),
        c.get('session'),
        c.req.valid('param').id,
      );
      if (!created) return c.json(v1Image(image), 200);
      c.set('uploadedBytes', image.size);
      c.header('Location', imagePath(image.id));
      return c.json(v1Image(image), 201);
    });
}
