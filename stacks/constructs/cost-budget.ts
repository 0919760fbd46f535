import { BudgetsBudget } from "@cdktf/provider-aws/lib/budgets-budget";
import { CeCostAllocationTag } from "@cdktf/provider-aws/lib/ce-cost-allocation-tag";
import { Fn, type IResolvable, Op, TerraformCount } from "cdktf";
import { Construct } from "constructs";

/** The tag every resource of the app carries (the provider's default_tags, stacks/app-stack.ts). */
export const APP_TAG = "app";

export interface CostBudgetProps {
  readonly namePrefix: string;
  /** USD a month; 0: no budget. */
  readonly monthlyUsd: number;
  readonly notificationEmail: string;
  /** Activate the app tag for cost allocation from Terraform (the payer account, once the tag is in billing). */
  readonly activateTag: boolean | IResolvable;
}

/**
 * An AWS Budgets cost budget on what the app's tagged resources cost ("Filtering costs by tag": the TagKeyValue
 * filter `user:<key>$<value>`, AWS Budgets User Guide), alerting the operator's address at 80% of the month's
 * actual cost and at 100% forecast. A tag counts in Budgets only once it is an activated cost allocation tag,
 * which only the payer account can do, and only after the tag has shown up in billing data (about a day after
 * the first tagged resource): so the activation is a separate switch.
 */
export class CostBudget extends Construct {
  readonly budget: BudgetsBudget;

  constructor(scope: Construct, id: string, props: CostBudgetProps) {
    super(scope, id);
    const notification = (notificationType: "ACTUAL" | "FORECASTED", threshold: number) => ({
      comparisonOperator: "GREATER_THAN",
      threshold,
      thresholdType: "PERCENTAGE",
      notificationType,
      subscriberEmailAddresses: [props.notificationEmail],
    });
    this.budget = new BudgetsBudget(this, "budget", {
      // 1 for a positive amount, 0 for none (the variable's validation rules out negatives).
      count: TerraformCount.of(Fn.signum(props.monthlyUsd)),
      name: `${props.namePrefix}-monthly`,
      budgetType: "COST",
      limitAmount: Fn.tostring(props.monthlyUsd),
      limitUnit: "USD",
      timeUnit: "MONTHLY",
      costFilter: [{ name: "TagKeyValue", values: [`user:${APP_TAG}$${props.namePrefix}`] }],
      notification: [notification("ACTUAL", 80), notification("FORECASTED", 100)],
    });
    new CeCostAllocationTag(this, "app_tag", {
      count: TerraformCount.of(Fn.conditional(Op.eq(props.activateTag, true), 1, 0)),
      tagKey: APP_TAG,
      status: "Active",
    });
  }
}
