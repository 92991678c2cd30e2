/**
 * The names of our temp files, under the names other modules import (PROPFIND hides them). The upload itself
 * is in file-upload.ts; see share-temp-files.ts.
 */
export { TEMP_PREFIX as UPLOAD_TEMP_PREFIX, isTempName as isUploadTempName } from './share-temp-files';
