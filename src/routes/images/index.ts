import { createRouter } from '../../http/router';
import * as h from './images.handlers';
import * as legacy from './images.legacy.routes';
import * as r from './images.routes';

// Registration order is the order of the OpenAPI document.

/** `/api/v1/images…` and `/api/v1/tags`. */
export function v1ImageRouter() {
  return createRouter()
    .openapi(r.uploadImage, h.uploadImage)
    .openapi(r.listImages, h.listImages)
    .openapi(r.getImage, h.getImage)
    .openapi(r.getImageFile, h.getImageFile)
    .openapi(r.deleteImage, h.deleteImage)
    .openapi(r.getImageTags, h.getImageTags)
    .openapi(r.replaceImageTags, h.replaceImageTags)
    .openapi(r.clearImageTags, h.clearImageTags)
    .openapi(r.addImageTag, h.addImageTag)
    .openapi(r.removeImageTag, h.removeImageTag)
    .openapi(r.listTags, h.listTags);
}

/** The original service's image and tag paths under `/api`, answering as it did. */
export function legacyImageRouter() {
  return createRouter()
    .openapi(legacy.legacyUploadImage, h.legacyUploadImage)
    .openapi(legacy.legacyListImages, h.legacyListImages)
    .openapi(legacy.legacyGetImageFile, h.legacyGetImageFile)
    .openapi(legacy.legacyDeleteImage, h.legacyDeleteImage)
    .openapi(legacy.legacyGetTags, h.legacyGetTags)
    .openapi(legacy.legacyReplaceTags, h.legacyReplaceTags)
    .openapi(legacy.legacyClearTags, h.legacyClearTags)
    .openapi(legacy.legacyAddTag, h.legacyAddTag)
    .openapi(legacy.legacyRemoveTag, h.legacyRemoveTag);
}
