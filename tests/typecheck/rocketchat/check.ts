// What a client of Rocket.Chat 8.x receives from GET /api/v1/statistics: the endpoint's
// result as JSON has it (Serialized: Dates as strings), plus the `success: true` that every
// REST answer of Rocket.Chat carries (API.v1.success).
import type { Serialized } from '@rocket.chat/core-typings';
import type { OperationResult } from '@rocket.chat/rest-typings';

export type StatisticsBody = Serialized<OperationResult<'GET', '/v1/statistics'>> & { success: true };

// The packages resolved: were a type missing, it would be `any` and accept anything.
type IsAny<T> = 0 extends 1 & T ? true : false;
type Resolved = [
	IsAny<StatisticsBody>,
	IsAny<StatisticsBody['totalUsers']>,
	IsAny<StatisticsBody['os']['platform']>,
	IsAny<StatisticsBody['os']['cpus'][number]>,
	IsAny<StatisticsBody['teams']>,
	IsAny<StatisticsBody['uniqueUsersOfYesterday']>,
	IsAny<StatisticsBody['omnichannelContactsBySource']>,
	IsAny<StatisticsBody['matrixFederation']>,
	IsAny<StatisticsBody['settings']>,
	IsAny<StatisticsBody['_updatedAt']>,
];
export const resolved: Resolved extends [false, false, false, false, false, false, false, false, false, false]
	? true
	: never = true;
