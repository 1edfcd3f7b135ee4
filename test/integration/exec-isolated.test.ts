import { describeIsolatedBuilds } from "../support/isolated-builds.js";

describeIsolatedBuilds("exec");
