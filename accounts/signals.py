from allauth.socialaccount.models import SocialToken
from django.db.models.signals import pre_save
from django.dispatch import receiver

from accounts.crypto import encrypt


@receiver(pre_save, sender=SocialToken)
def encrypt_tokens(sender, instance: SocialToken, **kwargs) -> None:
    """allauth stores the access token in `token` and the refresh token in `token_secret`: never in clear."""
    instance.token = encrypt(instance.token)
    instance.token_secret = encrypt(instance.token_secret)
