// GET /info: what this cluster supports and its limits, as Swift's /info reports them.
import type { ProxyConfig } from '../config.js';

export function capabilities(config: ProxyConfig): Record<string, unknown> {
  return {
    swift: {
      version: 'stowage-0.1.0',
      max_file_size: config.max_file_size,
      max_meta_name_length: config.max_meta_name_length,
      max_meta_value_length: config.max_meta_value_length,
      max_meta_count: config.max_meta_count,
      max_meta_overall_size: config.max_meta_overall_size,
      max_header_size: config.max_header_size,
      max_object_name_length: config.max_object_name_length,
      container_listing_limit: config.container_listing_limit,
      account_listing_limit: config.account_listing_limit,
      max_account_name_length: config.max_account_name_length,
      max_container_name_length: config.max_container_name_length,
      extra_header_count: 0,
      account_autocreate: true,
      allow_account_management: false,
      valid_api_versions: ['v1', 'v1.0'],
      // Swift's POLICIES.get_policy_info(): name, aliases, default (deprecated ones left out).
      policies: config.storage_policies.info(),
    },
    tempauth: { account_acls: false },
    slo: {
      max_manifest_segments: config.max_manifest_segments,
      max_manifest_size: config.max_manifest_size,
      min_segment_size: config.min_segment_size,
      yield_frequency: config.slo_yield_frequency_ms / 1000,
    },
    dlo: { max_segments: config.max_dlo_segments },
  };
}
