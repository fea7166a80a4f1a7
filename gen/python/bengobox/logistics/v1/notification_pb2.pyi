import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NotificationRule(_message.Message):
    __slots__ = ("name", "display_name", "trigger", "recipient", "channel", "template_id", "eta_threshold", "within_m", "quiet_hours", "time_zone", "create_time", "update_time", "etag")
    class Trigger(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        TRIGGER_UNSPECIFIED: _ClassVar[NotificationRule.Trigger]
        TRIGGER_TASK_CREATED: _ClassVar[NotificationRule.Trigger]
        TRIGGER_TASK_ASSIGNED: _ClassVar[NotificationRule.Trigger]
        TRIGGER_TASK_STARTED: _ClassVar[NotificationRule.Trigger]
        TRIGGER_TASK_PICKED_UP: _ClassVar[NotificationRule.Trigger]
        TRIGGER_TASK_ARRIVED: _ClassVar[NotificationRule.Trigger]
        TRIGGER_TASK_COMPLETED: _ClassVar[NotificationRule.Trigger]
        TRIGGER_TASK_FAILED: _ClassVar[NotificationRule.Trigger]
        TRIGGER_TASK_CANCELLED: _ClassVar[NotificationRule.Trigger]
        TRIGGER_TASK_DELAYED: _ClassVar[NotificationRule.Trigger]
        TRIGGER_ETA: _ClassVar[NotificationRule.Trigger]
        TRIGGER_ARRIVING: _ClassVar[NotificationRule.Trigger]
    TRIGGER_UNSPECIFIED: NotificationRule.Trigger
    TRIGGER_TASK_CREATED: NotificationRule.Trigger
    TRIGGER_TASK_ASSIGNED: NotificationRule.Trigger
    TRIGGER_TASK_STARTED: NotificationRule.Trigger
    TRIGGER_TASK_PICKED_UP: NotificationRule.Trigger
    TRIGGER_TASK_ARRIVED: NotificationRule.Trigger
    TRIGGER_TASK_COMPLETED: NotificationRule.Trigger
    TRIGGER_TASK_FAILED: NotificationRule.Trigger
    TRIGGER_TASK_CANCELLED: NotificationRule.Trigger
    TRIGGER_TASK_DELAYED: NotificationRule.Trigger
    TRIGGER_ETA: NotificationRule.Trigger
    TRIGGER_ARRIVING: NotificationRule.Trigger
    class Recipient(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        RECIPIENT_UNSPECIFIED: _ClassVar[NotificationRule.Recipient]
        RECIPIENT_CUSTOMER: _ClassVar[NotificationRule.Recipient]
        RECIPIENT_RIDER: _ClassVar[NotificationRule.Recipient]
        RECIPIENT_OUTLET: _ClassVar[NotificationRule.Recipient]
        RECIPIENT_DISPATCHER: _ClassVar[NotificationRule.Recipient]
    RECIPIENT_UNSPECIFIED: NotificationRule.Recipient
    RECIPIENT_CUSTOMER: NotificationRule.Recipient
    RECIPIENT_RIDER: NotificationRule.Recipient
    RECIPIENT_OUTLET: NotificationRule.Recipient
    RECIPIENT_DISPATCHER: NotificationRule.Recipient
    class Channel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        CHANNEL_UNSPECIFIED: _ClassVar[NotificationRule.Channel]
        CHANNEL_SMS: _ClassVar[NotificationRule.Channel]
        CHANNEL_PUSH: _ClassVar[NotificationRule.Channel]
        CHANNEL_EMAIL: _ClassVar[NotificationRule.Channel]
        CHANNEL_WHATSAPP: _ClassVar[NotificationRule.Channel]
    CHANNEL_UNSPECIFIED: NotificationRule.Channel
    CHANNEL_SMS: NotificationRule.Channel
    CHANNEL_PUSH: NotificationRule.Channel
    CHANNEL_EMAIL: NotificationRule.Channel
    CHANNEL_WHATSAPP: NotificationRule.Channel
    class QuietHours(_message.Message):
        __slots__ = ("start_minute", "end_minute", "mode")
        class Mode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
            __slots__ = ()
            MODE_UNSPECIFIED: _ClassVar[NotificationRule.QuietHours.Mode]
            MODE_DEFER: _ClassVar[NotificationRule.QuietHours.Mode]
            MODE_SUPPRESS: _ClassVar[NotificationRule.QuietHours.Mode]
        MODE_UNSPECIFIED: NotificationRule.QuietHours.Mode
        MODE_DEFER: NotificationRule.QuietHours.Mode
        MODE_SUPPRESS: NotificationRule.QuietHours.Mode
        START_MINUTE_FIELD_NUMBER: _ClassVar[int]
        END_MINUTE_FIELD_NUMBER: _ClassVar[int]
        MODE_FIELD_NUMBER: _ClassVar[int]
        start_minute: int
        end_minute: int
        mode: NotificationRule.QuietHours.Mode
        def __init__(self, start_minute: _Optional[int] = ..., end_minute: _Optional[int] = ..., mode: _Optional[_Union[NotificationRule.QuietHours.Mode, str]] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    ETA_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    WITHIN_M_FIELD_NUMBER: _ClassVar[int]
    QUIET_HOURS_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    trigger: NotificationRule.Trigger
    recipient: NotificationRule.Recipient
    channel: NotificationRule.Channel
    template_id: str
    eta_threshold: _duration_pb2.Duration
    within_m: float
    quiet_hours: NotificationRule.QuietHours
    time_zone: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., trigger: _Optional[_Union[NotificationRule.Trigger, str]] = ..., recipient: _Optional[_Union[NotificationRule.Recipient, str]] = ..., channel: _Optional[_Union[NotificationRule.Channel, str]] = ..., template_id: _Optional[str] = ..., eta_threshold: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., within_m: _Optional[float] = ..., quiet_hours: _Optional[_Union[NotificationRule.QuietHours, _Mapping]] = ..., time_zone: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class CreateNotificationRuleRequest(_message.Message):
    __slots__ = ("parent", "notification_rule", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATION_RULE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    notification_rule: NotificationRule
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., notification_rule: _Optional[_Union[NotificationRule, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetNotificationRuleRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListNotificationRulesRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListNotificationRulesResponse(_message.Message):
    __slots__ = ("notification_rules", "next_page_token")
    NOTIFICATION_RULES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    notification_rules: _containers.RepeatedCompositeFieldContainer[NotificationRule]
    next_page_token: str
    def __init__(self, notification_rules: _Optional[_Iterable[_Union[NotificationRule, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateNotificationRuleRequest(_message.Message):
    __slots__ = ("notification_rule", "update_mask")
    NOTIFICATION_RULE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    notification_rule: NotificationRule
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, notification_rule: _Optional[_Union[NotificationRule, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteNotificationRuleRequest(_message.Message):
    __slots__ = ("name", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    etag: str
    def __init__(self, name: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...
