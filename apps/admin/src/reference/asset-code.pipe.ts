import { Injectable, type PipeTransform } from '@nestjs/common';
import { ASSET_CODE_PATTERN } from './dto/instrument.input.js';
import { fieldException } from './reference-data.exception.js';

/** An asset code in a path: refused as INVALID_REQUEST before any query when it cannot be a code. */
@Injectable()
export class AssetCodePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!ASSET_CODE_PATTERN.test(value)) throw fieldException('INVALID_REQUEST', 'code', 'is not an asset code');
    return value;
  }
}
