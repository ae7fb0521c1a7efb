import { looksLikeMarkupOrScript, looksLikeSvg, sniffImage } from '../formats/sniff';
import { UnsupportedFormat } from './errors';

/**
 * Which bytes an upload may store, and under which type (README "Uploads": the legacy upload accepts what the original service did).
 *
 * - Bytes the sniffer recognises are stored under the recognised type, whatever the client says.
 * - `strict` (`/api/v1`): anything else is refused.
 * - `legacy` (`POST /api/images`): the original service stored whatever the client declared, and
 *   its clients (and their test suites) upload bytes no sniffer knows. Those are stored when the
 *   part declares an accepted raster type, under that type and marked unverified, unless they
 *   look like markup or script. Unverified images are never transformed and are served only as
 *   downloads (see `imageServingHeaders`).
 */
export type UploadPolicy =
  | { kind: 'strict' }
  /** `declaredType`: the image part's own Content-Type header, undefined when it had none. */
  | { kind: 'legacy'; declaredType: string | undefined };

export type UploadVerdict =
  | { verified: true; contentType: string; extension: string; width?: number; height?: number }
  | { verified: false; contentType: string; extension: string };

/** The accepted raster types, each with the extension a nameless upload is given. */
const RASTER_TYPES: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/avif': 'avif',
  'image/bmp': 'bmp',
  'image/tiff': 'tiff',
};

/**
 * Non-standard names clients and older browsers send for those types, stored under the
 * standard one (a declared `image/jpg` is stored and reported as `image/jpeg`).
 */
const ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/x-png': 'image/png',
  'image/x-bmp': 'image/bmp',
  'image/x-ms-bmp': 'image/bmp',
  'image/x-tiff': 'image/tiff',
};

const FORMATS = 'PNG, JPEG, GIF, WebP, AVIF, BMP or TIFF';

/** For documentation: the declared types the legacy upload accepts, and the aliases it maps. */
export const ACCEPTED_DECLARED_TYPES = Object.keys(RASTER_TYPES);

/** The file extension (no dot) of an accepted raster type, or undefined. */
export const rasterExtension = (contentType: string): string | undefined => RASTER_TYPES[contentType];
export const DECLARED_TYPE_ALIASES = Object.keys(ALIASES);

/**
 * The accepted raster type a part's declared `Content-Type` names (parameters and case ignored,
 * aliases mapped), or undefined for anything else: no type, `text/plain`, `image/svg+xml`, ….
 */
export function declaredRasterType(declared: string | undefined): string | undefined {
  const essence = (declared ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const type = Object.hasOwn(ALIASES, essence) ? (ALIASES[essence] as string) : essence;
  return Object.hasOwn(RASTER_TYPES, type) ? type : undefined;
}

/**
 * Decides what an upload is stored as from its first bytes (`SNIFF_BYTES` of them) and the
 * part's declared type, or throws the UnsupportedFormat that explains the refusal.
 */
export function classifyUpload(head: Uint8Array, policy: UploadPolicy): UploadVerdict {
  const sniffed = sniffImage(head);
  if (sniffed) return { verified: true, ...sniffed };
  if (looksLikeSvg(head)) {
    throw new UnsupportedFormat(`SVG is not accepted (it can carry scripts). Upload ${FORMATS}.`);
  }
  if (policy.kind === 'strict') {
    throw new UnsupportedFormat(`The file is not a supported image. Upload ${FORMATS}.`);
  }
  if (looksLikeMarkupOrScript(head)) {
    throw new UnsupportedFormat(
      `The file looks like markup or script (HTML, XML, a script), which is never accepted. Upload ${FORMATS}.`,
    );
  }
  const declared = policy.declaredType;
  const type = declaredRasterType(declared);
  if (!type) {
    throw new UnsupportedFormat(
      `The file is not a recognised image, and its part declares ${declared ? `\`${declared.slice(0, 100)}\`` : 'no content type'}. ` +
        `Upload ${FORMATS}, or declare one of ${ACCEPTED_DECLARED_TYPES.join(', ')} for the part.`,
    );
  }
  return { verified: false, contentType: type, extension: RASTER_TYPES[type] as string };
}
