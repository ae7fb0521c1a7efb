import type { RequestIdVariables } from 'hono/request-id';
import type { Session } from '../lib/session';
import type { ReceivedImage } from '../services/upload-stream';
import type { Deps } from './deps';

/** Hono's typing of what middleware puts on the context. */
export interface AppEnv {
  Variables: RequestIdVariables & {
    deps: Deps;
    /** Set by requireAuth from a verified token; the services check its version against the database. */
    session: Session;
    /** Set by readUploadBody on the upload routes: the image part, streamed into the store. */
    upload: ReceivedImage | undefined;
    /** Set by the upload handlers: the stored image's size, for the usage counters. */
    uploadedBytes?: number;
  };
}
