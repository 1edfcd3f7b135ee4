/** The parts of Nomad's API objects that Petrel reads. */

export type TaskState = {
  State: "pending" | "running" | "dead";
  Failed: boolean;
  /** RFC 3339; Go's zero time ("0001-01-01T00:00:00Z") or null until it happened. */
  StartedAt?: string | null;
  FinishedAt?: string | null;
  Events: { Type: string; DisplayMessage?: string; ExitCode?: number }[] | null;
};

export type AllocationStub = {
  ID: string;
  JobID: string;
  ClientStatus: "pending" | "running" | "complete" | "failed" | "lost" | "unknown";
  DesiredStatus?: "run" | "stop" | "evict";
  NodeName?: string;
  TaskStates: Record<string, TaskState> | null;
  CreateIndex: number;
};

/** `EvalID` is empty when an idempotency token found an existing child; `JobCreateIndex` is the raft index of the registration. */
export type DispatchResponse = { DispatchedJobID: string; EvalID: string; JobCreateIndex: number; Index: number };

export type JobSummary = {
  ID: string;
  ParentID?: string;
  Status: "pending" | "running" | "dead";
  /** Set by `nomad job stop`: the job is dead because someone stopped it. */
  Stop?: boolean;
  /** Unix nanoseconds. */
  SubmitTime?: number;
  Meta: Record<string, string> | null;
  ParameterizedJob: { MetaRequired: string[] | null; MetaOptional: string[] | null } | null;
};

export type JobListStub = {
  ID: string;
  ParentID: string;
  Status: "pending" | "running" | "dead";
  /** Set once the job was stopped (`nomad job stop`). */
  Stop: boolean;
  SubmitTime: number;
  /** Only when listed with `meta: true`. */
  Meta?: Record<string, string> | null;
};

export type NodeStub = {
  ID: string;
  Status: string;
  Drivers: Record<string, { Detected: boolean; Healthy: boolean }> | null;
};

/** A job as Nomad's parser returns it; Petrel passes it back unchanged. */
export type JobSpec = {
  ID: string;
  TaskGroups?: {
    Name: string;
    Volumes?: Record<string, { Type: string; Source: string; ReadOnly: boolean }>;
    Tasks: {
      Name: string;
      Driver: string;
      User?: string;
      Config: Record<string, unknown>;
      Lifecycle?: { Hook: string; Sidecar?: boolean } | null;
      Env?: Record<string, string> | null;
      VolumeMounts?: { Volume: string; Destination: string; ReadOnly: boolean }[];
    }[];
  }[];
} & Record<string, unknown>;
