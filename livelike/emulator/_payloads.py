"""The JSON the emulator answers with: application config and profiles.

Field names follow what LiveLike's SDKs read (the web SDK's ``init`` reads
about 60 ``app.*`` fields); every URL points back at the emulator through the
``base`` the request used, so a client behind a proxy or a container name is
sent back to the address it called.
"""

from __future__ import annotations

import uuid
from typing import Any

from livelike.emulator._store import Profile

__all__ = ["config_json", "profile_json"]

# Config URL fields: name -> path under the API base ("{app}" is the application's URL).
_CONFIG_URLS = {
    "profile_url": "{app}/profile/",
    "profile_detail_url_template": "profiles/{profile_id}/",
    "sessions_url": "{app}/sessions/",
    "programs_url": "programs/?client_id={client_id}",
    "program_detail_url_template": "programs/{program_id}/",
    "chat_rooms_url": "chat-rooms/",
    "chat_room_detail_url_template": "chat-rooms/{chat_room_id}/",
    "create_chat_room_url": "chat-rooms/",
    "chat_room_events_url": "chat-room-events/",
    "chat_room_memberships_url": "chat-room-memberships/",
    "chat_rooms_invitations_url": "chat-room-invitations/",
    "chat_room_invitation_detail_url_template": "chat-room-invitations/{invitation_id}/",
    "pinned_messages_url": "pinned-messages/",
    "sticker_packs_url": "{app}/sticker-packs/",
    "sticker_pack_detail_url_template": "sticker-packs/{sticker_pack_id}/",
    "reaction_packs_url": "{app}/reaction-packs/",
    "reaction_pack_detail_url_template": "reaction-packs/{reaction_pack_id}/",
    "reaction_spaces_url": "reaction-spaces/",
    "reaction_space_detail_url_template": "reaction-spaces/{reaction_space_id}/",
    "leaderboards_url": "{app}/leaderboards/",
    "leaderboard_detail_url_template": "leaderboards/{leaderboard_id}/",
    "profile_leaderboards_url_template": "profiles/{profile_id}/leaderboards/",
    "profile_leaderboard_views_url_template": "profiles/{profile_id}/leaderboard-views/",
    "badges_url": "{app}/badges/",
    "badge_profiles_url": "badge-profiles/",
    "reward_items_url": "{app}/reward-items/",
    "reward_actions_url": "{app}/reward-actions/",
    "reward_transactions_url": "reward-transactions/",
    "invoked_actions_url": "invoked-actions/",
    "redemption_keys_url": "redemption-keys/",
    "redemption_key_detail_url_template": "redemption-keys/{redemption_key_id}/",
    "redemption_key_detail_by_code_url_template": "redemption-keys/code/{redemption_key_code}/",
    "quests_url": "quests/",
    "user_quests_url": "user-quests/",
    "user_quests_url_template": "user-quests/?profile_id={profile_id}",
    "user_quest_detail_url_template": "user-quests/{user_quest_id}/",
    "user_quest_rewards_url": "user-quest-rewards/",
    "user_quest_task_progress_url": "user-quest-task-progress/",
    "profile_relationships_url": "profile-relationships/",
    "profile_relationship_types_url": "profile-relationship-types/",
    "profile_relationship_detail_url_template": "profile-relationships/{profile_relationship_id}/",
    "comment_boards_url": "comment-boards/",
    "comment_board_detail_url_template": "comment-boards/{comment_board_id}/",
    "comment_board_ban_url": "comment-board-bans/",
    "comment_board_ban_detail_url_template": "comment-board-bans/{comment_board_ban_id}/",
    "comment_report_url": "comment-reports/",
    "comment_report_detail_url_template": "comment-reports/{comment_report_id}/",
    "alerts_url": "alerts/",
    "sponsors_url": "sponsors/",
    "saved_contract_addresses_url": "saved-contract-addresses/",
    "text_polls_url": "text-polls/",
    "image_polls_url": "image-polls/",
    "text_quizzes_url": "text-quizzes/",
    "image_quizzes_url": "image-quizzes/",
    "text_predictions_url": "text-predictions/",
    "image_predictions_url": "image-predictions/",
    "image_number_predictions_url": "image-number-predictions/",
    "text_asks_url": "text-asks/",
    "user_search_url": "{app}/profile-search/",
}

# Profile URL fields: name -> path under the profile's own URL (or the API base, "/...").
_PROFILE_URLS = {
    "chat_room_memberships_url": "chat-room-memberships/",
    "badges_url": "badges/",
    "badge_progress_url": "badge-progress/",
    "reward_item_balances_url": "reward-item-balances/",
    "reward_item_credit_url": "reward-item-credit/",
    "reward_item_debit_url": "reward-item-debit/",
    "reward_item_transfer_url": "reward-item-transfers/",
    "block_profile_url": "/profile-blocks/",
    "blocked_profile_ids_url": "/profile-blocks/blocked-profile-ids/",
    "blocked_profiles_template_url": "/profile-blocks/?blocked_profile_id={blocked_profile_id}",
    "chat_room_invitations_url_template": "chat-room-invitations/?status={invitation_status}",
    "leaderboards_url": "leaderboards/",
    "leaderboard_views_url": "leaderboard-views/",
    "redemption_keys_url": "redemption-keys/",
}


def config_json(client_id: str, base: str) -> dict[str, Any]:
    """The application config for ``client_id``; ``base`` is ``.../api/v1`` as called."""
    app = f"applications/{client_id}"
    config: dict[str, Any] = {
        "url": f"{base}/{app}/",
        "name": f"LiveLike Emulator ({client_id})",
        "client_id": client_id,
        "organization_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"livelike-emulator:{client_id}")),
        "organization_name": "LiveLike Emulator",
        "pubnub_subscribe_key": None,
        "pubnub_publish_key": None,
        "pubnub_origin": None,
        "pubnub_heartbeat_interval": 60,
        "pubnub_presence_timeout": 120,
        "api_polling_interval": 5,
        "mixpanel_token": None,
    }
    for name, path in _CONFIG_URLS.items():
        config[name] = f"{base}/" + path.replace("{app}", app).replace("{client_id}", client_id)
    return config


def profile_json(profile: Profile, base: str) -> dict[str, Any]:
    """A profile as the service renders it (no ``access_token``); ``base`` as called."""
    url = f"{base}/profiles/{profile.id}/"
    rendered: dict[str, Any] = {
        "id": profile.id,
        "url": url,
        "client_id": profile.client_id,
        "nickname": profile.nickname,
        "custom_data": profile.custom_data,
        "custom_id": profile.custom_id,
        "created_at": profile.created_at,
        "reported_count": 0,
        "points": 0,
        "badges": [],
        "attributes": [{"key": key, "value": value} for key, value in profile.attributes],
        "subscribe_channel": f"profile.{profile.id}",
    }
    for name, path in _PROFILE_URLS.items():
        rendered[name] = base + path if path.startswith("/") else url + path
    return rendered
