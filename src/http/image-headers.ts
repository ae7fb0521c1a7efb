import { attachmentDisposition, inlineDisposition } from './content-disposition';

/**
 * How a browser may treat an image's bytes: the one decision every response that carries them
 * (or stands in for them, as a 304 does) takes its headers from — the file routes today, share
 * links and variants.
 *
 * Verified images (bytes sniffed as the stored type) are shown inline. Unverified ones (bytes no
 * sniffer recognised, stored under the type a legacy client declared) could be anything, so they
 * are only ever a download: `attachment`, no MIME sniffing, and a sandbox CSP in case a browser
 * renders them anyway. They are never transformed either (`variantRefusal` in services/variants).
 */
export function imageServingHeaders(image: { name: string; verified: boolean }): Record<string, string> {
  if (image.verified) {
    return { 'X-Content-Type-Options': 'nosniff', 'Content-Disposition': inlineDisposition(image.name) };
  }
  return {
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': 'sandbox',
    'Content-Disposition': attachmentDisposition(image.name),
  };
}
