import { type Envelope, errorFromPayload, GraftError } from '../../../../common/errors';

/** The value of a transport envelope, or its error rebuilt as a thrown GraftError. */
export function unwrapEnvelope<T>(envelope: Envelope<T> | null | undefined): T {
  if (envelope?.ok === true) return envelope.value;
  if (envelope?.ok === false) throw errorFromPayload(envelope.error);
  throw new GraftError('INTERNAL', 'Graft received an answer it could not read.');
}
