import { z } from '@hono/zod-openapi';

const codePoints = (s: string) => [...s].length;

export const registerSchema = z
  .object({
    email: z.string().trim().max(254).pipe(z.email()).openapi({ format: 'email', example: 'ada@example.com' }),
    password: z
      .string()
      .refine((s) => codePoints(s) >= 8 && codePoints(s) <= 1024, {
        message: 'Password must be 8 to 1024 characters long',
      })
      .openapi({ example: 'correct horse battery staple', minLength: 8, maxLength: 1024 }),
  })
  .openapi('RegisterRequest');

export const loginSchema = z
  .object({
    email: z.string().trim().min(1).max(254).openapi({ example: 'ada@example.com' }),
    password: z.string().min(1).max(1024).openapi({ example: 'correct horse battery staple' }),
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
