import { z } from '@hono/zod-openapi';
import { isWellFormed, NOT_WELL_FORMED } from '../../services/text';

const codePoints = (s: string) => [...s].length;

/** Text that reaches storage or a hash must have a UTF-8 form (no unpaired surrogates). */
const text = () => z.string().refine(isWellFormed, { message: `Value ${NOT_WELL_FORMED}`, abort: true });

export const registerSchema = z
  .object({
    email: text().trim().max(254).pipe(z.email()).openapi({ format: 'email', example: 'ada@example.com' }),
    password: text()
      .refine((s) => codePoints(s) >= 8 && codePoints(s) <= 1024, {
        message: 'Password must be 8 to 1024 characters long',
      })
      .openapi({ example: 'correct horse battery staple', minLength: 8, maxLength: 1024 }),
  })
  .openapi('RegisterRequest');

export const loginSchema = z
  .object({
    email: text().trim().min(1).max(254).openapi({ example: 'ada@example.com' }),
    password: text().min(1).max(1024).openapi({ example: 'correct horse battery staple' }),
  })
  .openapi('LoginRequest');

export const legacyUserSchema = z
  .object({
    id: z.number().int().openapi({ example: 1 }),
    email: z.string().openapi({ example: 'ada@example.com' }),
    created_at: z.number().openapi({ description: 'Unix seconds', example: 1_764_288_000 }),
  })
  .openapi('LegacyUser');

export const userSchema = z
  .object({
    id: z.number().int().openapi({ example: 1 }),
    email: z.string().openapi({ example: 'ada@example.com' }),
    created_at: z.string().openapi({ format: 'date-time', example: '2026-11-28T00:00:00.000Z' }),
  })
  .openapi('User');

export const legacyTokenSchema = z
  .object({
    token: z.string().openapi({ description: 'Send as `Authorization: Bearer <token>`' }),
    token_type: z.literal('Bearer'),
    expires_at: z.number().int().openapi({ description: 'Unix seconds', example: 1_764_374_400 }),
    expires_in: z.number().int().openapi({ description: 'Seconds from now', example: 86_400 }),
  })
  .openapi('LegacyToken');

export const tokenSchema = z
  .object({
    token: z.string().openapi({ description: 'Send as `Authorization: Bearer <token>`' }),
    token_type: z.literal('Bearer'),
    expires_at: z.string().openapi({ format: 'date-time', example: '2026-11-29T00:00:00.000Z' }),
    expires_in: z.number().int().openapi({ description: 'Seconds from now', example: 86_400 }),
  })
  .openapi('Token');

export const logoutSchema = z.object({ message: z.string() }).openapi('LegacyLogout');

// ---- account lifecycle ------------------------------------------------------------------------

const newPassword = () =>
  text()
    .refine((s) => codePoints(s) >= 8 && codePoints(s) <= 1024, {
      message: 'Password must be 8 to 1024 characters long',
    })
    .openapi({ example: 'a new correct horse battery staple', minLength: 8, maxLength: 1024 });

const confirmingPassword = () =>
  text().min(1).max(1024).openapi({ description: 'The current password', example: 'correct horse battery staple' });

/** A form sends `true`/`false` as text; JSON sends a boolean. */
const formBoolean = () =>
  z
    .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])
    .openapi({ type: 'boolean', default: false });

export const changePasswordSchema = z
  .object({
    current_password: confirmingPassword(),
    new_password: newPassword(),
    revoke_api_keys: formBoolean()
      .optional()
      .openapi({ description: 'Also revoke every API key of the account (they are kept otherwise)' }),
  })
  .openapi('ChangePasswordRequest');

export const changeEmailSchema = z
  .object({
    email: registerSchema.shape.email,
    password: confirmingPassword(),
  })
  .openapi('ChangeEmailRequest');

export const deleteAccountSchema = z.object({ password: confirmingPassword() }).openapi('DeleteAccountRequest');

export const deletionPendingSchema = z
  .object({
    status: z.literal('deleting'),
    detail: z.string(),
  })
  .openapi('AccountDeletionPending');
