export { type AllowedSigner, parseAllowedSigners } from './allowed-signers';
export { commitAuthor, type SignedCommit, splitSignedCommit } from './commit';
export { SignatureConfigError, SignatureError, type SignatureRefusal } from './errors';
export { matchPatternList } from './patterns';
export { parsePublicKey, SshFormatError, sshFingerprint } from './ssh-wire';
export { parseSshSignature, type SshSignature, verifySshSignature } from './sshsig';
export {
  createSignatureVerifier,
  enforceSignaturePolicy,
  type SignaturePolicy,
  type SignatureTrust,
  type SignatureVerifier,
  type VerifiedSignature,
} from './verifier';
