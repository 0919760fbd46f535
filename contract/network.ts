/** What the network stack and the offline plan review agree on. */

/**
 * The Terraform local holding the Availability Zones that offer every interface endpoint service the app
 * needs; offline, where that lookup cannot run, the plan review overrides the local by this name.
 */
export const OFFERED_ZONES_LOCAL = "endpoint_service_zones";
