import { createRouter } from '../../http/router';
import * as h from './users.handlers';
import * as legacy from './users.legacy.routes';
import * as r from './users.routes';

/** `/api/v1/user…`; the account lifecycle (password, email, export, deletion) is v1 only. */
export function v1UserRouter() {
  return createRouter()
    .openapi(r.register, h.register)
    .openapi(r.login, h.login)
    .openapi(r.logout, h.logout)
    .openapi(r.getCurrentUser, h.getCurrentUser)
    .openapi(r.changePassword, h.changePassword)
    .openapi(r.changeEmail, h.changeEmail)
    .openapi(r.exportAccount, h.exportArchive)
    .openapi(r.deleteAccount, h.deleteAccount);
}

/** The original service's `/api/user…`, answering as it did. */
export function legacyUserRouter() {
  return createRouter()
    .openapi(legacy.legacyRegister, h.legacyRegister)
    .openapi(legacy.legacyLogin, h.legacyLogin)
    .openapi(legacy.legacyLogout, h.legacyLogout)
    .openapi(legacy.legacyGetCurrentUser, h.legacyGetCurrentUser);
}
