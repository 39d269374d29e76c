/** The web console's static files at /console/ (see console-assets.ts). */
import { Module } from '@nestjs/common';
import { ConsoleAssets } from './console-assets.js';

@Module({ providers: [ConsoleAssets] })
export class ConsoleModule {}
