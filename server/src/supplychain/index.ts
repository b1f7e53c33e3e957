/** Signatures, attestations and SBOMs attached to images: classify, decode, verify. */
export * from './mediaTypes';
export * from './classify';
export * from './decode';
export * from './certificates';
export * from './verdict';
export * from './cosignKey';
export * from './notation';
export * from './attachments';
export * from './bundle';
export * from './cosignRekor';
export * from './cbor';
export * from './report';
export * from './trustFiles';
