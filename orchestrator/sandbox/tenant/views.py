"""How model objects look to the read cmdlets: property dictionaries with EXO/Graph names.

Values follow the runtime contract: aware UTC datetimes, ``uuid.UUID`` for Guid-typed properties
(ExchangeGuid, Guid, ArchiveGuid), plain strings for string-typed ones (ExternalDirectoryObjectId
is a string in Exchange, ``None`` when empty), lists of str for multi-valued properties.
``EXO_PROPERTY_SETS`` are the Get-EXOMailbox property sets from Microsoft's "Property sets in
Exchange Online PowerShell module cmdlets" (exchange/docs-conceptual/cmdlet-property-sets.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orchestrator.sandbox.tenant.model import Mailbox, MailboxState, RecipientTypeDetails, TenantModel, User

__all__ = [
    "EXO_PROPERTY_SETS",
    "GET_MAILBOX_PROPERTIES",
    "MAILBOX_FILTERABLE",
    "USER_FILTERABLE",
    "mailbox_identity",
    "mailbox_properties",
    "size_text",
    "user_properties",
]

EXO_PROPERTY_SETS: dict[str, list[str]] = {
    "Minimum": [
        "Alias",
        "DisplayName",
        "DistinguishedName",
        "EmailAddresses",
        "ExchangeVersion",
        "ExternalDirectoryObjectId",
        "Guid",
        "Id",
        "Name",
        "OrganizationId",
        "PrimarySmtpAddress",
        "RecipientType",
        "RecipientTypeDetails",
        "UserPrincipalName",
    ],
    "AddressList": [
        "AddressBookPolicy",
        "AddressListMembership",
        "ExternalDirectoryObjectId",
        "GeneratedOfflineAddressBooks",
        "HiddenFromAddressListsEnabled",
        "OfflineAddressBook",
    ],
    "Archive": [
        "ArchiveDatabase",
        "ArchiveDomain",
        "ArchiveGuid",
        "ArchiveName",
        "ArchiveQuota",
        "ArchiveRelease",
        "ArchiveState",
        "ArchiveStatus",
        "ArchiveWarningQuota",
        "AutoExpandingArchiveEnabled",
        "DisabledArchiveDatabase",
        "DisabledArchiveGuid",
        "ExternalDirectoryObjectId",
        "JournalArchiveAddress",
    ],
    "Audit": [
        "AuditAdmin",
        "AuditDelegate",
        "AuditEnabled",
        "AuditLogAgeLimit",
        "AuditOwner",
        "DefaultAuditSet",
        "ExternalDirectoryObjectId",
    ],
    "Custom": [f"CustomAttribute{i}" for i in range(1, 16)]
    + [f"ExtensionCustomAttribute{i}" for i in range(1, 6)]
    + ["ExternalDirectoryObjectId"],
    "Delivery": [
        "AcceptMessagesOnlyFrom",
        "AcceptMessagesOnlyFromDLMembers",
        "AcceptMessagesOnlyFromSendersOrMembers",
        "DeliverToMailboxAndForward",
        "DowngradeHighPriorityMessagesEnabled",
        "ExternalDirectoryObjectId",
        "ForwardingAddress",
        "ForwardingSmtpAddress",
        "GrantSendOnBehalfTo",
        "MaxBlockedSenders",
        "MaxReceiveSize",
        "MaxSafeSenders",
        "MaxSendSize",
        "MessageCopyForSendOnBehalfEnabled",
        "MessageCopyForSentAsEnabled",
        "MessageRecallProcessingEnabled",
        "MessageTrackingReadStatusEnabled",
        "RecipientLimits",
        "RejectMessagesFrom",
        "RejectMessagesFromDLMembers",
        "RejectMessagesFromSendersOrMembers",
        "RulesQuota",
    ],
    "Hold": [
        "ComplianceTagHoldApplied",
        "DelayHoldApplied",
        "ExternalDirectoryObjectId",
        "InPlaceHolds",
        "InactiveMailboxRetireTime",
        "LitigationHoldDate",
        "LitigationHoldDuration",
        "LitigationHoldEnabled",
        "LitigationHoldOwner",
    ],
    "Moderation": [
        "BypassModerationFromSendersOrMembers",
        "ExternalDirectoryObjectId",
        "ModeratedBy",
        "ModerationEnabled",
        "SendModerationNotifications",
    ],
    "Move": [
        "ExternalDirectoryObjectId",
        "MailboxMoveBatchName",
        "MailboxMoveFlags",
        "MailboxMoveRemoteHostName",
        "MailboxMoveSourceMDB",
        "MailboxMoveStatus",
        "MailboxMoveTargetMDB",
    ],
    "Policy": [
        "AddressBookPolicy",
        "DataEncryptionPolicy",
        "EmailAddressPolicyEnabled",
        "ExternalDirectoryObjectId",
        "ManagedFolderMailboxPolicy",
        "PoliciesExcluded",
        "PoliciesIncluded",
        "RemoteAccountPolicy",
        "RetentionPolicy",
        "RetentionUrl",
        "RoleAssignmentPolicy",
        "SharingPolicy",
        "ThrottlingPolicy",
    ],
    "PublicFolder": [
        "DefaultPublicFolderMailbox",
        "EffectivePublicFolderMailbox",
        "ExternalDirectoryObjectId",
        "IsExcludedFromServingHierarchy",
        "IsHierarchyReady",
        "IsHierarchySyncEnabled",
        "IsRootPublicFolderMailbox",
    ],
    "Quota": [
        "ArchiveQuota",
        "ArchiveWarningQuota",
        "CalendarLoggingQuota",
        "ExternalDirectoryObjectId",
        "IssueWarningQuota",
        "ProhibitSendQuota",
        "ProhibitSendReceiveQuota",
        "RecoverableItemsQuota",
        "RecoverableItemsWarningQuota",
        "RulesQuota",
        "UseDatabaseQuotaDefaults",
    ],
    "Resource": [
        "ExternalDirectoryObjectId",
        "IsResource",
        "ResourceCapacity",
        "ResourceCustom",
        "ResourceType",
        "RoomMailboxAccountEnabled",
    ],
    "Retention": [
        "EndDateForRetentionHold",
        "ExternalDirectoryObjectId",
        "OrphanSoftDeleteTrackingTime",
        "RetainDeletedItemsFor",
        "RetainDeletedItemsUntilBackup",
        "RetentionComment",
        "RetentionHoldEnabled",
        "RetentionPolicy",
        "RetentionUrl",
        "SingleItemRecoveryEnabled",
        "StartDateForRetentionHold",
        "UseDatabaseRetentionDefaults",
    ],
    "SCL": [
        "AntispamBypassEnabled",
        "ExternalDirectoryObjectId",
        "SCLDeleteEnabled",
        "SCLDeleteThreshold",
        "SCLJunkEnabled",
        "SCLJunkThreshold",
        "SCLQuarantineEnabled",
        "SCLQuarantineThreshold",
        "SCLRejectEnabled",
        "SCLRejectThreshold",
    ],
    "SoftDelete": [
        "ExternalDirectoryObjectId",
        "IncludeInGarbageCollection",
        "IsInactiveMailbox",
        "IsSoftDeletedByDisable",
        "IsSoftDeletedByRemove",
        "WhenSoftDeleted",
    ],
    "StatisticsSeed": ["ArchiveDatabaseGuid", "DatabaseGuid", "ExchangeGuid", "ExternalDirectoryObjectId"],
}

#: Properties Get-Mailbox/Get-EXOMailbox/Get-Recipient -Filter accept in the sandbox ([FILT] subset).
MAILBOX_FILTERABLE = (
    "Name",
    "Alias",
    "DisplayName",
    "PrimarySmtpAddress",
    "EmailAddresses",
    "UserPrincipalName",
    "RecipientType",
    "RecipientTypeDetails",
    "ExchangeGuid",
    "Guid",
    "ExternalDirectoryObjectId",
    "IsInactiveMailbox",
    "LitigationHoldEnabled",
    "InPlaceHolds",
    "WhenSoftDeleted",
    "IsDirSynced",
    "DistinguishedName",
    "LegacyExchangeDN",
    "IsSoftDeletedByRemove",
    "IsSoftDeletedByDisable",
    "ComplianceTagHoldApplied",
    "DelayHoldApplied",
    "DelayReleaseHoldApplied",
    "ArchiveGuid",
    "ArchiveStatus",
    "WhenCreated",
    "SKUAssigned",
    "AccountDisabled",
    "HiddenFromAddressListsEnabled",
    "WindowsLiveID",
    "MicrosoftOnlineServicesID",
)
USER_FILTERABLE = (
    "Name",
    "DisplayName",
    "UserPrincipalName",
    "WindowsLiveID",
    "MicrosoftOnlineServicesID",
    "RecipientType",
    "RecipientTypeDetails",
    "PreviousRecipientTypeDetails",
    "SKUAssigned",
    "ExternalDirectoryObjectId",
    "IsDirSynced",
    "AccountDisabled",
    "WhenCreated",
)

_EXCHANGE_VERSION = "0.20 (15.0.0.0)"


def _timespan_days(days: int) -> str:
    return f"{days}.00:00:00"


def size_text(size: int) -> str:
    """Exchange's ByteQuantifiedSize display, e.g. ``1.2 GB (1,288,490,188 bytes)``."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            shown = f"{int(value)} {unit}" if unit == "B" else f"{value:.3g} {unit}"
            return f"{shown} ({size:,} bytes)"
        value /= 1024
    return f"{size:,} bytes"


#: Every property ``mailbox_properties`` returns (Get-EXOMailbox -Properties accepts any of them).
GET_MAILBOX_PROPERTIES: tuple[str, ...] = (
    "Name",
    "Alias",
    "DisplayName",
    "Identity",
    "Id",
    "DistinguishedName",
    "Guid",
    "ExchangeGuid",
    "ExternalDirectoryObjectId",
    "PrimarySmtpAddress",
    "EmailAddresses",
    "UserPrincipalName",
    "MicrosoftOnlineServicesID",
    "WindowsLiveID",
    "LegacyExchangeDN",
    "RecipientType",
    "RecipientTypeDetails",
    "IsDirSynced",
    "IsInactiveMailbox",
    "WasInactiveMailbox",
    "InactiveMailboxRetireTime",
    "IsSoftDeletedByRemove",
    "IsSoftDeletedByDisable",
    "WhenSoftDeleted",
    "IncludeInGarbageCollection",
    "LitigationHoldEnabled",
    "LitigationHoldDate",
    "LitigationHoldOwner",
    "LitigationHoldDuration",
    "InPlaceHolds",
    "ComplianceTagHoldApplied",
    "DelayHoldApplied",
    "DelayReleaseHoldApplied",
    "RetentionHoldEnabled",
    "StartDateForRetentionHold",
    "EndDateForRetentionHold",
    "RetainDeletedItemsFor",
    "SingleItemRecoveryEnabled",
    "ArchiveGuid",
    "ArchiveStatus",
    "ArchiveState",
    "AutoExpandingArchiveEnabled",
    "SKUAssigned",
    "AccountDisabled",
    "HiddenFromAddressListsEnabled",
    "IsMailboxEnabled",
    "IsShared",
    "IsResource",
    "IsRootPublicFolderMailbox",
    "WhenCreated",
    "WhenCreatedUTC",
    "WhenMailboxCreated",
    "WhenChanged",
    "WhenChangedUTC",
    "OrganizationId",
    "ExchangeVersion",
    "ObjectState",
    "IsValid",
)


def mailbox_identity(mbx: Mailbox) -> str:
    return f"Soft Deleted Objects\\{mbx.name}" if mbx.is_soft_deleted_kind else mbx.name


def mailbox_properties(model: TenantModel, mbx: Mailbox, now: datetime) -> dict[str, Any]:
    """The Get-Mailbox view (a realistic subset of its ~230 properties)."""
    h = mbx.holds
    user = model.users.get(mbx.user_id) if mbx.user_id else None
    soft = mbx.is_soft_deleted_kind
    rtd = mbx.recipient_type_details
    sku_assigned = (
        model.has_exchange_license(user)
        if user is not None and rtd is RecipientTypeDetails.USER_MAILBOX
        else None
    )
    identity = mailbox_identity(mbx)
    edoi = str(mbx.external_directory_object_id) if mbx.external_directory_object_id else None
    return {
        "Name": mbx.name,
        "Alias": mbx.alias,
        "DisplayName": mbx.display_name,
        "Identity": identity,
        "Id": identity,
        "DistinguishedName": mbx.distinguished_name,
        "Guid": mbx.guid,
        "ExchangeGuid": mbx.exchange_guid,
        "ExternalDirectoryObjectId": edoi,
        "PrimarySmtpAddress": mbx.primary_smtp_address,
        "EmailAddresses": list(mbx.email_addresses),
        "UserPrincipalName": mbx.user_principal_name,
        "MicrosoftOnlineServicesID": mbx.user_principal_name,
        "WindowsLiveID": mbx.user_principal_name,
        "LegacyExchangeDN": mbx.legacy_exchange_dn,
        "RecipientType": "UserMailbox",
        "RecipientTypeDetails": str(rtd),
        "IsDirSynced": mbx.is_dir_synced,
        "IsInactiveMailbox": mbx.state is MailboxState.INACTIVE,
        "WasInactiveMailbox": mbx.was_inactive_mailbox,
        "InactiveMailboxRetireTime": mbx.inactive_mailbox_retire_time,
        "IsSoftDeletedByRemove": mbx.is_soft_deleted_by_remove,
        "IsSoftDeletedByDisable": mbx.is_soft_deleted_by_disable,
        "WhenSoftDeleted": mbx.when_soft_deleted,
        "IncludeInGarbageCollection": False,
        "LitigationHoldEnabled": h.litigation_hold_enabled,
        "LitigationHoldDate": h.litigation_hold_date,
        "LitigationHoldOwner": h.litigation_hold_owner,
        "LitigationHoldDuration": "Unlimited"
        if h.litigation_hold_duration is None
        else _timespan_days(h.litigation_hold_duration),
        "InPlaceHolds": list(h.in_place_holds),
        "ComplianceTagHoldApplied": h.compliance_tag_hold_applied,
        "DelayHoldApplied": h.delay_hold_applied,
        "DelayReleaseHoldApplied": h.delay_release_hold_applied,
        "RetentionHoldEnabled": mbx.retention_hold_until is not None,
        "StartDateForRetentionHold": None,
        "EndDateForRetentionHold": mbx.retention_hold_until,
        "RetainDeletedItemsFor": _timespan_days(mbx.retain_deleted_items_for_days),
        "SingleItemRecoveryEnabled": True,
        "ArchiveGuid": mbx.archive_guid,
        "ArchiveStatus": "Active" if mbx.archive_guid else "None",
        "ArchiveState": "Local" if mbx.archive_guid else "None",
        "AutoExpandingArchiveEnabled": mbx.auto_expanding_archive,
        "SKUAssigned": sku_assigned,
        "AccountDisabled": bool(user is not None and not user.account_enabled),
        "HiddenFromAddressListsEnabled": soft,
        "IsMailboxEnabled": True,
        "IsShared": rtd is RecipientTypeDetails.SHARED_MAILBOX,
        "IsResource": rtd in (RecipientTypeDetails.ROOM_MAILBOX, RecipientTypeDetails.EQUIPMENT_MAILBOX),
        "IsRootPublicFolderMailbox": False,
        "WhenCreated": mbx.when_created,
        "WhenCreatedUTC": mbx.when_created,
        "WhenMailboxCreated": mbx.when_created,
        "WhenChanged": now,
        "WhenChangedUTC": now,
        "OrganizationId": model.tenant.organization,
        "ExchangeVersion": _EXCHANGE_VERSION,
        "ObjectState": "Unchanged",
        "IsValid": True,
    }


def user_properties(model: TenantModel, user: User, mbx: Mailbox | None) -> dict[str, Any]:
    """The Get-User view. Without an active mailbox the user is a plain ``User`` (KB 3158794):
    a licence-removed user shows ``PreviousRecipientTypeDetails`` UserMailbox (§1.4)."""
    active = mbx is not None and mbx.state is MailboxState.ACTIVE
    rtd = str(mbx.recipient_type_details) if active and mbx is not None else "User"
    name = mbx.name if active and mbx is not None else user.display_name
    # [Assumption] the last change the sandbox knows of: the licence removal (disconnect), else creation.
    changed = mbx.when_disconnected if mbx is not None and mbx.when_disconnected else user.created
    return {
        "Name": name,
        "DisplayName": user.display_name,
        "Identity": name,
        "Id": name,
        "Guid": mbx.guid if active and mbx is not None else user.object_id,
        "UserPrincipalName": user.user_principal_name,
        "WindowsLiveID": user.user_principal_name,
        "MicrosoftOnlineServicesID": user.user_principal_name,
        "ExternalDirectoryObjectId": str(user.object_id),
        "RecipientType": "UserMailbox" if active else "User",
        "RecipientTypeDetails": rtd,
        "PreviousRecipientTypeDetails": user.previous_recipient_type_details or "None",
        "SKUAssigned": model.has_exchange_license(user),
        "IsDirSynced": user.dir_synced,
        "AccountDisabled": not user.account_enabled,
        "WhenSoftDeleted": None,
        "WhenCreated": user.created,
        "WhenCreatedUTC": user.created,
        "WhenChanged": changed,
        "WhenChangedUTC": changed,
        "OrganizationId": model.tenant.organization,
        "ExchangeVersion": _EXCHANGE_VERSION,
    }
