/** Signatures, attestations and SBOMs attached to images: classify, decode, verify. */
export * from './mediaTypes';
export * from './classify';
export * from './decode';
export * from './certificates';
