// What the replicator and auditor use of the object server's on-disk layer.
export { classifyFiles, parseFileName, locateObject, quarantine, type ClassifiedFiles, type ObjectLocation, type OnDiskFile } from './diskfile.js';
export { readTrailer, encodeTrailer, CorruptFileError, type Metadata } from './datafile.js';
export { getHashes, listObjects, invalidateSuffix, type SuffixHashes } from './hashes.js';
export { cleanStaleTmp } from './tmp-cleanup.js';
export { REPLICATION_FILE_HEADER, REPLICATION_BODY_LENGTH_HEADER } from './replicate.js';
