import { Module } from '@nestjs/common';
import { WhatIfResolver } from './what-if.resolver.js';
import { WhatIfService } from './what-if.service.js';

@Module({ providers: [WhatIfService, WhatIfResolver] })
export class WhatIfModule {}
