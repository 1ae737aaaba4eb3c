// The browser's ballot cryptography, byte-identical with the Python package crypto/
// (docs/verification-spec.md). ES modules, no bundler: the page maps the
// bare specifiers '@noble/curves/' and '@noble/hashes/' with an import map.
//
// Typical use (a delegation casting a vote):
//
//   import { BallotContext, encryptBallot, signBallot, trackingCode, ballotToJSON } from './crypto/index.js';
//   const ctx = new BallotContext({ sessionId, roundNumber, electionKey, delegationId, options });
//   const ballot = encryptBallot(ctx, choiceIndex);          // fresh CSPRNG randomness
//   const signature = signBallot(ctx, ballot, delegationSeed);
//   send({ ballot: ballotToJSON(ballot), signature }); show(trackingCode(ctx, ballot, signature));

export * from './group.js';
export * from './encoding.js';
export * from './elgamal.js';
export * from './proofs.js';
export * from './ballot.js';
export * from './signing.js';
export * from './receipt.js';
