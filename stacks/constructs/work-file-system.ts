import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { EfsAccessPoint } from "@cdktf/provider-aws/lib/efs-access-point";
import { EfsFileSystem } from "@cdktf/provider-aws/lib/efs-file-system";
import { EfsFileSystemPolicy } from "@cdktf/provider-aws/lib/efs-file-system-policy";
import { EfsMountTarget } from "@cdktf/provider-aws/lib/efs-mount-target";
import { Construct } from "constructs";

export interface WorkFileSystemProps {
  readonly namePrefix: string;
  readonly kmsKeyArn: string;
  readonly subnetIds: string[];
  readonly securityGroupId: string;
}

/** The POSIX identity the ETL function works as on EFS. */
export const WORK_SPACE = { path: "/mnt/data", uid: 1001, gid: 1001 } as const;

/**
 * The original sample's EFSStack: the ETL function's scratch space, large enough for a dataset of any size
 * (Lambda's /tmp is not). Encrypted with the app key; reachable only through its access point, which pins the
 * directory and the POSIX user; a mount target in each private subnet.
 */
export class WorkFileSystem extends Construct {
  readonly fileSystem: EfsFileSystem;
  readonly accessPoint: EfsAccessPoint;
  readonly mountTargets: EfsMountTarget[];

  constructor(scope: Construct, id: string, props: WorkFileSystemProps) {
    super(scope, id);
    this.fileSystem = new EfsFileSystem(this, "file_system", {
      encrypted: true,
      kmsKeyId: props.kmsKeyArn,
      performanceMode: "generalPurpose",
      // Bursts of several hundred MB/s while an ETL runs, and nothing to pay for in between.
      throughputMode: "elastic",
      lifecyclePolicy: [{ transitionToIa: "AFTER_7_DAYS" }],
      tags: { Name: `${props.namePrefix}-work` },
    });
    this.accessPoint = new EfsAccessPoint(this, "access_point", {
      fileSystemId: this.fileSystem.id,
      posixUser: { uid: WORK_SPACE.uid, gid: WORK_SPACE.gid },
      rootDirectory: {
        path: WORK_SPACE.path,
        creationInfo: { ownerUid: WORK_SPACE.uid, ownerGid: WORK_SPACE.gid, permissions: "750" },
      },
      tags: { Name: `${props.namePrefix}-work` },
    });
    this.mountTargets = props.subnetIds.map(
      (subnetId, index) =>
        new EfsMountTarget(this, `mount_target_${index}`, {
          fileSystemId: this.fileSystem.id,
          subnetId,
          securityGroups: [props.securityGroupId],
        }),
    );
  }

  /**
   * The file system policy: without one, EFS "grants full access to any anonymous client that can connect to
   * the file system using a mount target" (Amazon EFS User Guide, "Using IAM to control file system data
   * access"), so the functions' ClientMount/ClientWrite grants would check nothing. With it, a client must
   * use IAM, TLS and the access point, and be one of the given roles.
   */
  allowOnly(roleArns: string[]): EfsFileSystemPolicy {
    const policy = new DataAwsIamPolicyDocument(this, "policy_document", {
      statement: [
        {
          sid: "RequireTls",
          effect: "Deny",
          principals: [{ type: "*", identifiers: ["*"] }],
          actions: ["*"],
          resources: [this.fileSystem.arn],
          condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        },
        {
          sid: "NamedRolesThroughTheAccessPoint",
          principals: [{ type: "AWS", identifiers: roleArns }],
          actions: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
          resources: [this.fileSystem.arn],
          condition: [
            {
              test: "StringEquals",
              variable: "elasticfilesystem:AccessPointArn",
              values: [this.accessPoint.arn],
            },
            { test: "Bool", variable: "elasticfilesystem:AccessedViaMountTarget", values: ["true"] },
          ],
        },
      ],
    });
    return new EfsFileSystemPolicy(this, "policy", { fileSystemId: this.fileSystem.id, policy: policy.json });
  }
}
