import { Controller, Get } from '@nestjs/common';
import type { PublicKeysResponse } from '@fedaln/protocol';
import { ReleaseSigner } from './signing';

/** The release-signing public key; public by nature, so sites can pin it at first contact. */
@Controller('api/keys')
export class KeysController {
  constructor(private readonly signer: ReleaseSigner) {}

  @Get()
  keys(): PublicKeysResponse {
    return { ed25519_public_key: this.signer.publicKeyRaw() };
  }
}
