import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Res,
  UsePipes,
  ValidationPipe,
  type ValidationError,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AdminPrincipal } from '../auth/admin-role.js';
import { AdminRoles, CurrentAdmin } from '../auth/admin-roles.decorator.js';
import { FailedJobsInput } from './dto/failed-jobs.input.js';
import { ListBacktestsInput } from './dto/list-backtests.input.js';
import { ReportFormatInput, ReportPageInput } from './dto/report-format.input.js';
import { RunBacktestInput } from './dto/run-backtest.input.js';
import {
  BacktestReportDetailModel,
  BacktestReportPageModel,
  BacktestRunModel,
  type BacktestReportModel,
} from './models/backtest-report.model.js';
import {
  FailedJobPageModel,
  FailedOutboxEventPageModel,
  type FailedJobModel,
  type FailedOutboxEventModel,
} from './models/failed-job.model.js';
import { ReportErrorModel } from './models/report-error.model.js';
import { StressReportModel } from './models/stress-report.model.js';
import { CSV_ROWS_MAX, requestedFormat, sendCsv } from './report-csv.js';
import { ReportException, type ReportFieldViolation } from './report.exception.js';
import { ReportsService, defaultLimit } from './reports.service.js';

const validation = new ValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  stopAtFirstError: false,
  exceptionFactory: (errors: ValidationError[]) =>
    new ReportException('INVALID_REQUEST', 'invalid request', violationsOf(errors, '')),
});

/**
 * Reports for risk and operations. Every list is paginated (limit/offset); every report downloads as CSV
 * with `?format=csv` or `Accept: text/csv` (a CSV list holds up to 10,000 rows from offset, header
 * `x-truncated: true` when more matched). Reading needs any admin role; running a backtest, risk-officer.
 */
@ApiTags('reports')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ReportErrorModel, description: 'No valid admin token.' })
@ApiForbiddenResponse({ type: ReportErrorModel, description: 'FORBIDDEN_ROLE.' })
@ApiBadRequestResponse({ type: ReportErrorModel, description: 'INVALID_REQUEST and the other input codes.' })
@ApiProduces('application/json', 'text/csv')
@Controller('v1/reports')
@UsePipes(validation)
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  @Post('backtests/runs')
  @HttpCode(HttpStatus.OK)
  @AdminRoles('risk-officer')
  @ApiOperation({
    summary: 'Backtest every member account and product for a business date and store the reports.',
    description:
      'Idempotent per (date, account, product): a stored report with the same inputs is left unchanged; one ' +
      'whose inputs changed is kept and counted as a conflict unless replace is true (then overwritten and audited).',
  })
  @ApiOkResponse({ type: BacktestRunModel })
  @ApiUnprocessableEntityResponse({ type: ReportErrorModel, description: 'RECOMPUTE_FAILED.' })
  runBacktests(@CurrentAdmin() admin: AdminPrincipal, @Body() input: RunBacktestInput): Promise<BacktestRunModel> {
    return this.reports.runBacktests(admin, input, Date.now());
  }

  @Get('backtests')
  @AdminRoles()
  @ApiOperation({ summary: 'Stored backtest reports, newest business date first (paginated; CSV download).' })
  @ApiOkResponse({ type: BacktestReportPageModel })
  async listBacktests(
    @Query() input: ListBacktestsInput,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<BacktestReportPageModel | string> {
    if (requestedFormat(input.format, accept) === 'json') {
      return this.reports.listBacktests(input, defaultLimit(input.limit));
    }
    const page = await this.reports.listBacktests(input, CSV_ROWS_MAX);
    return sendCsv(reply, 'backtest-reports.csv', BACKTEST_CSV_COLUMNS, page.items, isTruncated(page));
  }

  @Get('backtests/:id')
  @AdminRoles()
  @ApiOperation({ summary: 'One backtest report with its daily observations (CSV: one row per day).' })
  @ApiOkResponse({ type: BacktestReportDetailModel })
  @ApiNotFoundResponse({ type: ReportErrorModel, description: 'REPORT_NOT_FOUND.' })
  async backtest(
    @Param('id') id: string,
    @Query() input: ReportFormatInput,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<BacktestReportDetailModel | string> {
    const report = await this.reports.backtest(id);
    if (requestedFormat(input.format, accept) === 'json') return report;
    return sendCsv(
      reply,
      `backtest-${report.businessDate}-${report.id}.csv`,
      [
        { key: 'day', value: (row) => row.day },
        { key: 'receiptId', value: (row) => row.receiptId },
        { key: 'margin', value: (row) => row.margin },
        { key: 'loss', value: (row) => row.loss },
        { key: 'exception', value: (row) => row.exception },
      ],
      report.observations,
    );
  }

  @Get('stress')
  @AdminRoles()
  @ApiOperation({
    summary: 'Stress test of every member at current prices: cover 2 against the default resources.',
    description: 'JSON pages the members of the worst scenario; CSV has one row per scenario and member.',
  })
  @ApiOkResponse({ type: StressReportModel })
  @ApiUnprocessableEntityResponse({ type: ReportErrorModel, description: 'MISSING_MARKET_DATA, STRESS_TEST_FAILED.' })
  async stress(
    @Query() input: ReportPageInput,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StressReportModel | string> {
    const report = await this.reports.stress(Date.now());
    const offset = input.offset ?? 0;
    if (requestedFormat(input.format, accept) === 'csv') {
      const rows = report.scenarios.flatMap((scenario) => scenario.members.map((member) => ({ scenario, member })));
      const page = rows.slice(offset, offset + CSV_ROWS_MAX);
      return sendCsv(
        reply,
        'stress-report.csv',
        [
          { key: 'scenario', value: (row) => row.scenario.scenarioName },
          { key: 'memberFirmId', value: (row) => row.member.memberFirmId },
          { key: 'stressLoss', value: (row) => row.member.stressLoss },
          { key: 'marginHeld', value: (row) => row.member.marginHeld },
          { key: 'uncoveredLoss', value: (row) => row.member.uncoveredLoss },
          { key: 'coverTwoLoss', value: (row) => row.scenario.coverTwoLoss },
          { key: 'defaultResources', value: () => report.defaultResources.total },
          { key: 'coverTwoPassed', value: (row) => row.scenario.coverTwoPassed },
        ],
        page,
        offset + page.length < rows.length,
      );
    }
    const limit = defaultLimit(input.limit);
    const worst = report.scenarios.find((scenario) => scenario.scenarioName === report.worstScenarioName);
    const members = worst?.members ?? [];
    return {
      valuedAt: new Date(report.valuationEpochMs).toISOString(),
      reportingAsset: report.reportingAsset,
      parameterSetVersion: report.parameterSetVersion,
      defaultResources: report.defaultResources,
      accountCount: report.accountCount,
      scenarios: report.scenarios.map(({ members: _members, ...scenario }) => ({
        ...scenario,
        coverTwoMemberFirmIds: [...scenario.coverTwoMemberFirmIds],
      })),
      worstScenarioName: report.worstScenarioName,
      coverTwoLoss: report.coverTwoLoss,
      coverTwoPassed: report.coverTwoPassed,
      members: members.slice(offset, offset + limit).map((member) => ({ ...member })),
      memberTotal: members.length,
      limit,
      offset,
    };
  }

  @Get('failed-jobs')
  @AdminRoles()
  @ApiOperation({ summary: 'Failed BullMQ jobs of every QueueName queue, or of one (paginated; CSV download).' })
  @ApiOkResponse({ type: FailedJobPageModel })
  async failedJobs(
    @Query() input: FailedJobsInput,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<FailedJobPageModel | string> {
    const csv = requestedFormat(input.format, accept) === 'csv';
    const page = await this.reports.failedJobs(
      input.queue,
      csv ? CSV_ROWS_MAX : defaultLimit(input.limit),
      input.offset ?? 0,
    );
    if (!csv) return page;
    return sendCsv(reply, 'failed-jobs.csv', FAILED_JOB_CSV_COLUMNS, page.items, isTruncated(page));
  }

  @Get('failed-outbox-events')
  @AdminRoles()
  @ApiOperation({ summary: "Outbox events in status 'failed', newest first (paginated; CSV download)." })
  @ApiOkResponse({ type: FailedOutboxEventPageModel })
  async failedOutboxEvents(
    @Query() input: ReportPageInput,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<FailedOutboxEventPageModel | string> {
    const offset = input.offset ?? 0;
    if (requestedFormat(input.format, accept) === 'json') {
      return this.reports.failedOutboxEvents(defaultLimit(input.limit), offset);
    }
    // The outbox lib pages by at most 100: a CSV download reads page after page up to the CSV limit.
    const items: FailedOutboxEventModel[] = [];
    let total = 0;
    for (let cursor = offset; items.length < CSV_ROWS_MAX; cursor += 100) {
      const page = await this.reports.failedOutboxEvents(100, cursor);
      total = page.total;
      items.push(...page.items);
      if (page.items.length < 100) break;
    }
    return sendCsv(reply, 'failed-outbox-events.csv', OUTBOX_CSV_COLUMNS, items, offset + items.length < total);
  }
}

function isTruncated(page: { items: readonly unknown[]; total: number; offset: number }): boolean {
  return page.offset + page.items.length < page.total;
}

const BACKTEST_CSV_COLUMNS: readonly { key: string; value: (row: BacktestReportModel) => string | number | null }[] = [
  { key: 'id', value: (row) => row.id },
  { key: 'businessDate', value: (row) => row.businessDate },
  { key: 'accountId', value: (row) => row.accountId },
  { key: 'memberFirmId', value: (row) => row.memberFirmId },
  { key: 'product', value: (row) => row.product },
  { key: 'marginAsset', value: (row) => row.marginAsset },
  { key: 'lookbackDays', value: (row) => row.lookbackDays },
  { key: 'confidence', value: (row) => row.confidence },
  { key: 'observationCount', value: (row) => row.observationCount },
  { key: 'exceptionCount', value: (row) => row.exceptionCount },
  { key: 'coverageRatio', value: (row) => row.coverageRatio },
  { key: 'kupiecLikelihoodRatio', value: (row) => row.kupiecLikelihoodRatio },
  { key: 'kupiecPValue', value: (row) => row.kupiecPValue },
  { key: 'christoffersenIndependencePValue', value: (row) => row.christoffersenIndependencePValue },
  { key: 'christoffersenConditionalCoveragePValue', value: (row) => row.christoffersenConditionalCoveragePValue },
  { key: 'trafficLight', value: (row) => row.trafficLight },
  { key: 'inputsHash', value: (row) => row.inputsHash },
];

const FAILED_JOB_CSV_COLUMNS: readonly { key: string; value: (row: FailedJobModel) => string | number | null }[] = [
  { key: 'queue', value: (row) => row.queue },
  { key: 'id', value: (row) => row.id },
  { key: 'name', value: (row) => row.name },
  { key: 'attemptsMade', value: (row) => row.attemptsMade },
  { key: 'failedReason', value: (row) => row.failedReason },
  { key: 'createdAt', value: (row) => row.createdAt },
  { key: 'finishedAt', value: (row) => row.finishedAt },
  { key: 'data', value: (row) => JSON.stringify(row.data) },
];

const OUTBOX_CSV_COLUMNS: readonly { key: string; value: (row: FailedOutboxEventModel) => string | number | null }[] = [
  { key: 'id', value: (row) => row.id },
  { key: 'kind', value: (row) => row.kind },
  { key: 'dedupeKey', value: (row) => row.dedupeKey },
  { key: 'attempts', value: (row) => row.attempts },
  { key: 'lastError', value: (row) => row.lastError },
  { key: 'createdAt', value: (row) => row.createdAt },
  { key: 'payload', value: (row) => JSON.stringify(row.payload) },
];

function violationsOf(errors: readonly ValidationError[], prefix: string): ReportFieldViolation[] {
  return errors.flatMap((error) => {
    const field = prefix === '' ? error.property : `${prefix}.${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...violationsOf(error.children ?? [], field)];
  });
}
